import type { DomainEvent } from '@switchboard/kit';
import type { AnalyticsApp } from '@switchboard/analytics';
import { demoDirectory } from '@switchboard/tenants';
import { createClient, type Client } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { startStack, type Stack } from './stack';
import { until } from './subscription-stack';

/** liveMetrics through the gateway over graphql-ws, as a dashboard would subscribe. */

const LIVE = `subscription { liveMetrics { at backlog waitingCustomers agentsOnline slaAtRisk } }`;

let stack: Stack;
let analytics: AnalyticsApp;
let acme: string;
const clients: Client[] = [];

beforeAll(async () => {
  stack = await startStack({ subgraphs: ['analytics'] });
  analytics = stack.subgraphs.analytics as AnalyticsApp;
  acme = (await demoDirectory(stack.tenants.orm)).find((u) => u.email === 'admin@acme.test')!.tenantId;
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.dispose();
  await stack?.close();
});

async function subscribe(email: string) {
  const { authorization } = await stack.as(email);
  const client = createClient({ url: stack.gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization }, retryAttempts: 0 });
  clients.push(client);
  const sub = { results: [] as any[], errors: [] as unknown[] };
  client.subscribe({ query: LIVE }, { next: (v) => void sub.results.push(v), error: (e) => void sub.errors.push(e), complete: () => {} });
  return sub;
}

const event = (type: string, data: Record<string, unknown>): DomainEvent => ({ id: randomUUID(), type, tenantId: acme, occurredAt: new Date().toISOString(), data });

describe('liveMetrics through the gateway', () => {
  it('pushes a first value at once, then a change, computed once per tenant for every subscriber', async () => {
    const schema = analytics.orm.config.get('schema');
    const facts = async () => Number((await analytics.orm.em.fork().getConnection().execute(`select count(*)::int as n from "${schema}"."fact"`))[0].n);
    const folded = async (n: number) => {
      for (let i = 0; i < 400 && (await facts()) < n; i++) await new Promise((r) => setTimeout(r, 25));
      expect(await facts()).toBe(n);
    };
    const ticket = randomUUID();
    await stack.bus.publish([event('ticket.created', { id: ticket, priority: 'HIGH' }), event('conversation.started', { id: randomUUID(), channel: 'WEB', status: 'QUEUED', priority: 'NORMAL' })]);
    await folded(2);

    const [a, b, c] = [await subscribe('analyst@acme.test'), await subscribe('analyst@acme.test'), await subscribe('supervisor@acme.test')];
    await until(() => [a, b, c].every((s) => s.results.length >= 1), 'a first value for every subscriber');
    for (const s of [a, b, c]) {
      expect(s.errors).toEqual([]);
      expect(s.results).toHaveLength(1);
      expect(s.results[0].data.liveMetrics).toMatchObject({ backlog: 1, waitingCustomers: 1, agentsOnline: 0, slaAtRisk: 0 });
    }

    const computed = analytics.live.computations;
    await stack.bus.publish([
      event('ticket.sla_at_risk', { id: ticket }),
      event('ticket.created', { id: randomUUID(), priority: 'LOW' }),
      event('conversation.assigned', { id: randomUUID(), assigneeId: randomUUID() }),
    ]);
    await folded(4);
    await analytics.live.tick();
    // One computation for the tenant, whatever the number of subscribers (three, in two groups).
    expect(analytics.live.computations - computed).toBe(1);
    await until(() => [a, b, c].every((s) => s.results.length === 2), 'the change pushed to every subscriber');
    for (const s of [a, b, c]) expect(s.results[1].data.liveMetrics).toMatchObject({ backlog: 2, waitingCustomers: 1, agentsOnline: 1, slaAtRisk: 1 });
    expect(new Date(a.results[1].data.liveMetrics.at).getTime()).toBeGreaterThanOrEqual(new Date(a.results[0].data.liveMetrics.at).getTime());

    // An event that changes none of the numbers pushes nothing; the next change does.
    const recorded = async () => Number((await analytics.orm.em.fork().getConnection().execute(`select count(*)::int as n from "${schema}"."event"`))[0].n);
    const before = await recorded();
    await stack.bus.publish([event('ticket.sla_at_risk', { id: ticket })]);
    for (let i = 0; i < 400 && (await recorded()) === before; i++) await new Promise((r) => setTimeout(r, 25));
    const computedBefore = analytics.live.computations;
    await analytics.live.tick();
    expect(analytics.live.computations - computedBefore).toBe(1); // it was computed, and found unchanged
    await stack.bus.publish([event('ticket.status_changed', { id: ticket, from: 'OPEN', to: 'RESOLVED' })]);
    for (let i = 0; i < 200; i++) {
      await analytics.live.tick();
      if (a.results.length > 2) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await until(() => [a, b, c].every((s) => s.results.length === 3), 'the resolution pushed');
    expect(a.results[2].data.liveMetrics).toMatchObject({ backlog: 1, slaAtRisk: 0 });
  });

  it('says nothing to a caller who may not read analytics', async () => {
    const agent = await subscribe('agent@acme.test');
    const analyst = await subscribe('analyst@acme.test');
    await until(() => analyst.results.length >= 1, 'the analyst’s first value');
    await stack.bus.publish([event('ticket.created', { id: randomUUID(), priority: 'URGENT' })]);
    for (let i = 0; i < 200 && analyst.results.length < 2; i++) {
      await analytics.live.tick();
      await new Promise((r) => setTimeout(r, 25));
    }
    await until(() => analyst.results.length >= 2, 'the analyst’s push');
    // The agent's subscription shares the tenant's events, but each resolves to null for it.
    expect(agent.results).toEqual([]);
    expect(agent.errors).toEqual([]);
  });
});
