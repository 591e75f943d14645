import type { DomainEvent } from '@switchboard/kit';
import { applyEvent, applyEvents, digestOf, mergeDigests, quantile, rebuildRollups, type AnalyticsApp } from '@switchboard/analytics';
import { demoDirectory } from '@switchboard/tenants';
import { randomUUID } from 'node:crypto';
import { codes, startStack, type Stack } from './stack';

/**
 * Analytics through the gateway: events in (on the stack's bus, as the services publish
 * them), metrics out (the `metrics` query a client asks). The fixture day is small enough to
 * compute every measure by hand; those numbers are written out below.
 */

const DAY = '2026-03-02';
const t = (hm: string) => `${DAY}T${hm}Z`;

/** The fixture day of one tenant, as domain events (ids fresh per call). */
function fixtureDay(tenantId: string): DomainEvent[] {
  const c1 = randomUUID();
  const c2 = randomUUID();
  const c3 = randomUUID();
  const [t1, t2, t3] = [randomUUID(), randomUUID(), randomUUID()];
  const agent = randomUUID();
  const e = (type: string, at: string, data: Record<string, unknown>): DomainEvent => ({ id: randomUUID(), type, tenantId, occurredAt: t(at), data });
  return [
    // c1: WEB, answered by the bot after 30 s, resolved by it after 20 min (contained), rated 5; 150 tokens, $0.002.
    e('conversation.started', '09:00:00', { id: c1, channel: 'WEB', status: 'BOT', contactId: randomUUID(), assigneeId: null, priority: 'NORMAL' }),
    e('message.sent', '09:00:30', { id: randomUUID(), conversationId: c1, authorKind: 'BOT', authorId: null, createdAt: t('09:00:30') }),
    e('ai.usage', '09:01:00', { model: 'local-small', inputTokens: 100, outputTokens: 50, costUsd: 0.002, conversationId: c1 }),
    e('conversation.updated', '09:20:00', { id: c1, version: 2, changes: { status: { from: 'BOT', to: 'RESOLVED' } } }),
    e('conversation.resolved', '09:20:00', { id: c1 }),
    e('conversation.rated', '09:25:00', { id: c1, score: 5, comment: null }),
    // c2: WHATSAPP, handed off to an agent who answers after 120 s, resolved after 1 h, rated 3; 300 tokens, $0.004.
    e('conversation.started', '10:00:00', { id: c2, channel: 'WHATSAPP', status: 'BOT', contactId: randomUUID(), assigneeId: null, priority: 'HIGH' }),
    e('ai.usage', '10:00:30', { model: 'local-small', inputTokens: 200, outputTokens: 100, costUsd: 0.004, conversationId: c2 }),
    e('conversation.updated', '10:01:00', { id: c2, version: 2, changes: { status: { from: 'BOT', to: 'QUEUED' } } }),
    e('conversation.updated', '10:02:00', { id: c2, version: 3, changes: { status: { from: 'QUEUED', to: 'ASSIGNED' }, assigneeId: { from: null, to: agent } } }),
    e('conversation.assigned', '10:02:00', { id: c2, assigneeId: agent }),
    e('message.sent', '10:02:00', { id: randomUUID(), conversationId: c2, authorKind: 'AGENT', authorId: agent, createdAt: t('10:02:00') }),
    e('conversation.updated', '11:00:00', { id: c2, version: 4, changes: { status: { from: 'ASSIGNED', to: 'RESOLVED' } } }),
    e('conversation.rated', '11:05:00', { id: c2, score: 3, comment: 'ok' }),
    // c3: WEB, answered by the bot after 90 s, still open.
    e('conversation.started', '13:00:00', { id: c3, channel: 'WEB', status: 'BOT', contactId: randomUUID(), assigneeId: null, priority: 'NORMAL' }),
    e('message.sent', '13:00:10', { id: randomUUID(), conversationId: c3, authorKind: 'CUSTOMER', authorId: null, createdAt: t('13:00:10') }),
    e('message.sent', '13:01:30', { id: randomUUID(), conversationId: c3, authorKind: 'BOT', authorId: null, createdAt: t('13:01:30') }),
    // t1: resolved within its SLA. t2: breached at 11:30, resolved at 14:00. t3: still open.
    e('ticket.created', '09:30:00', { id: t1, number: 1, priority: 'HIGH', category: null, conversationId: null, resolutionDueAt: t('17:30:00') }),
    e('ticket.status_changed', '12:00:00', { id: t1, from: 'OPEN', to: 'RESOLVED' }),
    e('ticket.created', '10:30:00', { id: t2, number: 2, priority: 'NORMAL', category: null, conversationId: null, resolutionDueAt: t('11:30:00') }),
    e('ticket.sla_breached', '11:30:05', { id: t2, breachedAt: t('11:30:00') }),
    e('ticket.status_changed', '14:00:00', { id: t2, from: 'OPEN', to: 'RESOLVED' }),
    e('ticket.created', '15:00:00', { id: t3, number: 3, priority: 'LOW', category: null, conversationId: null, resolutionDueAt: t('23:00:00') }),
    // AI spend outside any conversation.
    e('ai.usage', '16:00:00', { model: 'local-large', inputTokens: 1000, outputTokens: 0, costUsd: 0.01 }),
  ];
}

/** Every measure over the fixture day, computed by hand from the events above. */
const EXPECTED_DAY: Record<string, number> = {
  CONVERSATIONS_STARTED: 3,
  CONVERSATIONS_RESOLVED: 2,
  FIRST_RESPONSE_P50_SECONDS: 90, // samples 30, 120, 90
  FIRST_RESPONSE_P90_SECONDS: 114, // continuous percentile of [30, 90, 120]: 90 + 0.8 · 30
  RESOLUTION_P50_SECONDS: 2400, // samples 1200, 3600
  TICKETS_CREATED: 3,
  TICKETS_RESOLVED: 2,
  SLA_COMPLIANCE: 0.5, // t1 met, t2 breached
  SLA_BREACHES: 1,
  BACKLOG: 1, // t3 at the end of the day
  CSAT: 4, // (5 + 3) / 2
  BOT_CONTAINMENT: 0.5, // c1 of c1, c2
  HANDOFF_RATE: 1 / 3, // c2 of three started
  AI_TOKENS: 1450,
  AI_COST_USD: 0.016,
  COST_PER_RESOLVED_CONVERSATION: 0.008,
};

const METRICS = `query($input: MetricsInput!) { metrics(input: $input) { at measure value channel agent assistant model priority } }`;

describe('analytics through the gateway', () => {
  let stack: Stack;
  let analytics: AnalyticsApp;
  let acme: string;
  let globex: string;
  let analyst: Record<string, string>;
  let consumed = 0;

  const recorded = async () => {
    const schema = analytics.orm.config.get('schema');
    const [row] = await analytics.orm.em.fork().getConnection().execute(`select count(*)::int as n from "${schema}"."event"`);
    return Number(row.n);
  };
  /** Publishes and waits until analytics recorded `fresh` more events (replays add none: a fresh marker event follows them). */
  const publish = async (events: DomainEvent[], fresh = events.length) => {
    // A ticket analytics never heard created: recorded, contributes nothing.
    const marker: DomainEvent = { id: randomUUID(), type: 'ticket.sla_at_risk', tenantId: globex, occurredAt: new Date().toISOString(), data: { id: randomUUID() } };
    await stack.bus.publish([...events, marker]);
    consumed += fresh + 1;
    for (let i = 0; i < 400 && (await recorded()) < consumed; i++) await new Promise((r) => setTimeout(r, 25));
    expect(await recorded()).toBe(consumed);
  };
  const day = async (measures = Object.keys(EXPECTED_DAY), headers = analyst, extra: Record<string, unknown> = {}) => {
    const res = await stack.gql(METRICS, { input: { from: t('00:00:00'), to: `2026-03-03T00:00:00Z`, interval: 'DAY', measures, ...extra } }, headers);
    expect(res.errors).toBeUndefined();
    return res.data.metrics as { at: string; measure: string; value: number; channel: string | null }[];
  };
  const byMeasure = (points: { measure: string; value: number }[]) => Object.fromEntries(points.map((p) => [p.measure, p.value]));

  beforeAll(async () => {
    // Percentiles from t-digests above 200 samples: the fixture days stay exact, the large tenant below does not.
    stack = await startStack({ subgraphs: ['analytics', 'tickets', 'conversations'], subgraphEnv: { analytics: { ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES: '200' } } });
    analytics = stack.subgraphs.analytics as AnalyticsApp;
    const dir = await demoDirectory(stack.tenants.orm);
    acme = dir.find((u) => u.email === 'admin@acme.test')!.tenantId;
    globex = dir.find((u) => u.email === 'admin@globex.test')!.tenantId;
    analyst = await stack.as('analyst@acme.test');
    consumed = await recorded();
    await publish(fixtureDay(acme));
  }, 60_000);

  afterAll(() => stack?.close());

  it('answers every measure of the fixture day as computed by hand', async () => {
    const got = byMeasure(await day());
    expect(Object.keys(got).sort()).toEqual(Object.keys(EXPECTED_DAY).sort());
    for (const [m, v] of Object.entries(EXPECTED_DAY)) expect([m, got[m]]).toEqual([m, expect.closeTo(v, 9)]);
  });

  it('groups by channel and buckets by hour', async () => {
    const points = await day(['CONVERSATIONS_STARTED', 'FIRST_RESPONSE_P50_SECONDS'], analyst, { groupBy: ['CHANNEL'] });
    const rows = points.map((p) => `${p.measure} ${p.channel} ${p.value}`).sort();
    expect(rows).toEqual(['CONVERSATIONS_STARTED WEB 2', 'CONVERSATIONS_STARTED WHATSAPP 1', 'FIRST_RESPONSE_P50_SECONDS WEB 60', 'FIRST_RESPONSE_P50_SECONDS WHATSAPP 120']);
    const hourly = await stack.gql(METRICS, { input: { from: t('09:00:00'), to: t('16:00:00'), interval: 'HOUR', measures: ['BACKLOG'] } }, analyst);
    // t1 opens at 09, t2 at 10, t1 closes at 12, t2 at 14, t3 opens at 15.
    expect(hourly.data.metrics.map((p: any) => p.value)).toEqual([1, 2, 2, 1, 1, 0, 1]);
  });

  it('lands out-of-order events in the right bucket, and another tenant’s activity never appears', async () => {
    const globexDay = fixtureDay(globex).reverse();
    const extra: DomainEvent = { id: randomUUID(), type: 'conversation.started', tenantId: globex, occurredAt: t('18:00:00'), data: { id: randomUUID(), channel: 'SMS', status: 'BOT', priority: 'LOW' } };
    await publish([...globexDay, extra]);
    const globexAdmin = await stack.as('admin@globex.test');
    const theirs = byMeasure(await day(Object.keys(EXPECTED_DAY), globexAdmin));
    for (const [m, v] of Object.entries(EXPECTED_DAY)) {
      if (m === 'CONVERSATIONS_STARTED') expect(theirs[m]).toBe(4);
      else if (m === 'HANDOFF_RATE') expect(theirs[m]).toBeCloseTo(1 / 4, 9);
      else expect([m, theirs[m]]).toEqual([m, expect.closeTo(v, 9)]);
    }
    const ours = byMeasure(await day());
    expect(ours.CONVERSATIONS_STARTED).toBe(3);
    expect((await day(['CONVERSATIONS_STARTED'], analyst, { groupBy: ['CHANNEL'] })).map((p) => p.channel)).not.toContain('SMS');
  });

  it('a replayed event changes no metric', async () => {
    const before = await day();
    const replay = fixtureDay(acme);
    await publish(replay);
    const afterFirst = byMeasure(await day());
    await publish(replay, 0);
    await publish(replay.slice(3, 9).reverse(), 0);
    expect(byMeasure(await day())).toEqual(afterFirst);
    // The fresh copy did count once: twice the counts of the fixture, the same ratios.
    expect(afterFirst.CONVERSATIONS_STARTED).toBe(6);
    expect(afterFirst.CSAT).toBeCloseTo(byMeasure(before).CSAT!, 9);
  });

  it('the rebuild reproduces the rollups', async () => {
    const all = async () =>
      (
        await stack.gql(
          METRICS,
          { input: { from: t('00:00:00'), to: '2026-03-03T00:00:00Z', interval: 'HOUR', measures: Object.keys(EXPECTED_DAY), groupBy: ['CHANNEL', 'AGENT', 'ASSISTANT', 'MODEL', 'PRIORITY'] } },
          analyst,
        )
      ).data.metrics;
    const before = await all();
    expect(before.length).toBeGreaterThan(20);
    const { events } = await rebuildRollups(analytics.orm, { batch: 7 });
    expect(events).toBe(consumed);
    expect(await all()).toEqual(before);
  });

  it('a batch gives the numbers one event at a time gives, and a redelivered batch changes nothing', async () => {
    const schema = analytics.orm.config.get('schema') as string;
    const conn = () => analytics.orm.em.fork().getConnection();
    // Two tenants analytics alone knows: one fed event by event, the other the same events as one batch.
    const [single, batched] = [randomUUID(), randomUUID()];
    const events = fixtureDay(single);
    const copy = events.map((e) => ({ ...e, id: randomUUID(), tenantId: batched }));
    for (const e of events) expect(await analytics.orm.em.fork().transactional((em) => applyEvent(em as never, schema, e))).toBe(true);
    const applied = await analytics.orm.em.fork().transactional((em) => applyEvents(em as never, schema, copy));
    expect(applied.map((e) => e.id)).toEqual(copy.map((e) => e.id));
    const snapshot = async (tenantId: string) => {
      const rows: Record<string, unknown[]> = {};
      for (const [table, columns] of [
        ['rollup', '"bucket", "measure", "channel", "agent", "assistant", "model", "priority", "n", "total"'],
        ['sample', '"bucket", "measure", "entity_id", "channel", "agent", "assistant", "model", "priority", "value"'],
        ['sketch', '"bucket", "measure", "channel", "agent", "assistant", "model", "priority", "n", "digest"'],
        // (The state names the events by id, which differ; what a fact contributes does not.)
        ['fact', '"kind", "entity_id", "contributions", "open", "waiting", "at_risk"'],
      ]) {
        // One event at a time leaves rows a later event emptied (n = 0, total = 0; no query sees them); a batch nets them out.
        const nonEmpty = table === 'rollup' ? ` and ("n" <> 0 or "total" <> 0)` : '';
        rows[table!] = await conn().execute(`select ${columns} from "${schema}"."${table}" where "tenant_id" = ?${nonEmpty} order by ${columns.split(', ').slice(0, 7).join(', ')}`, [tenantId]);
      }
      return rows;
    };
    const once = await snapshot(batched);
    expect(once.rollup!.length).toBeGreaterThan(20);
    expect(once.sketch!.length).toBe(5); // three first responses, two resolutions, each alone in its cell
    expect(once).toEqual(await snapshot(single));
    // Redelivered: the whole batch, then a batch of some of it twice over, in another order.
    expect(await analytics.orm.em.fork().transactional((em) => applyEvents(em as never, schema, copy))).toEqual([]);
    const some = copy.slice(2, 12).reverse();
    expect(await analytics.orm.em.fork().transactional((em) => applyEvents(em as never, schema, [...some, ...some]))).toEqual([]);
    expect(await snapshot(batched)).toEqual(once);
    // A batch mixing new and seen events applies the new ones once.
    const fresh = fixtureDay(batched).slice(0, 6);
    const mixed = await analytics.orm.em.fork().transactional((em) => applyEvents(em as never, schema, [...copy.slice(0, 6), ...fresh, ...fresh]));
    expect(mixed.map((e) => e.id)).toEqual(fresh.map((e) => e.id));
    const [started] = await conn().execute(`select sum("n")::int as n from "${schema}"."rollup" where "tenant_id" = ? and "measure" = 'CONVERSATIONS_STARTED'`, [batched]);
    expect(started.n).toBe(4);
    consumed += events.length + copy.length + fresh.length; // recorded without the bus
  });

  it('counts what the services emit: a ticket created through the gateway', async () => {
    const admin = await stack.as('admin@acme.test');
    const today = new Date();
    const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
    const created = await stack.gql(
      `mutation { createTicket(input: { subject: "Printer on fire", priority: URGENT, requester: { name: "Pat", email: "pat@example.com" } }) { id } }`,
      {},
      admin,
    );
    expect(created.errors).toBeUndefined();
    await publish([], 1);
    const res = await stack.gql(METRICS, { input: { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString(), interval: 'DAY', measures: ['TICKETS_CREATED', 'BACKLOG'], groupBy: ['PRIORITY'] } }, analyst);
    expect(res.data.metrics.map((p: any) => `${p.measure} ${p.priority} ${p.value}`).sort()).toEqual(['BACKLOG LOW 2', 'BACKLOG URGENT 1', 'TICKETS_CREATED URGENT 1']); // LOW: the fixture days' open t3
  });

  it('rateConversation: 1–5 by an agent or the channel key, a second rating replaces the first, and CSAT counts the last', async () => {
    const admin = await stack.as('admin@acme.test');
    const started = await stack.gql(`mutation { startConversation(input: { channel: SMS, contact: { name: "Rita" }, text: "hi" }) { id } }`, {}, admin);
    const id = started.data.startConversation.id;
    const RATE = `mutation($id: ID!, $score: Int!, $comment: String) { rateConversation(id: $id, score: $score, comment: $comment) { id rating { score comment } } }`;
    const agent = await stack.as('agent@acme.test');
    expect((await stack.gql(RATE, { id, score: 2, comment: 'slow' }, agent)).data.rateConversation).toEqual({ id, rating: { score: 2, comment: 'slow' } });
    const channelKey = (await stack.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name: 'sms', scopes: ['conversations:write', 'conversations:read'] } }, admin)).data.createApiKey.secret;
    expect((await stack.gql(RATE, { id, score: 4 }, { 'x-api-key': channelKey })).data.rateConversation.rating).toEqual({ score: 4, comment: null });
    expect(codes(await stack.gql(RATE, { id, score: 6 }, agent))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await stack.gql(RATE, { id, score: 0 }, agent))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await stack.gql(RATE, { id, score: 3 }, await stack.as('admin@globex.test')))).toEqual(['NOT_FOUND']);
    expect(codes(await stack.gql(RATE, { id, score: 3 }, analyst))).toEqual(['FORBIDDEN']);
    // conversation.started, message.sent and two conversation.rated.
    await publish([], 4);
    const today = new Date();
    const from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
    const res = await stack.gql(METRICS, { input: { from: from.toISOString(), to: new Date(from.getTime() + 86_400_000).toISOString(), measures: ['CONVERSATIONS_STARTED', 'CSAT'], groupBy: ['CHANNEL'] } }, analyst);
    expect(res.data.metrics.map((p: any) => `${p.measure} ${p.channel} ${p.value}`).sort()).toEqual(['CONVERSATIONS_STARTED SMS 1', 'CSAT SMS 4']);
  });

  it('is for analysts, supervisors and up, and API keys with analytics:read', async () => {
    const input = { from: t('00:00:00'), to: '2026-03-03T00:00:00Z', measures: ['TICKETS_CREATED'] };
    expect(codes(await stack.gql(METRICS, { input }, await stack.as('agent@acme.test')))).toEqual(['FORBIDDEN']);
    expect((await stack.gql(METRICS, { input }, await stack.as('supervisor@acme.test'))).data.metrics[0].value).toBe(6);
    const admin = await stack.as('admin@acme.test');
    const key = async (scopes: string[]) => (await stack.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`, { input: { name: `k${scopes.length}`, scopes } }, admin)).data.createApiKey.secret;
    expect((await stack.gql(METRICS, { input }, { 'x-api-key': await key(['analytics:read']) })).data.metrics[0].value).toBe(6);
    expect(codes(await stack.gql(METRICS, { input }, { 'x-api-key': await key(['tickets:read', 'users:read']) }))).toEqual(['FORBIDDEN']);
    expect(codes(await stack.gql(METRICS, { input: { ...input, to: input.from } }, analyst))).toEqual(['BAD_USER_INPUT']);
  });

  it('a large tenant’s percentiles come from the merged hourly t-digests, within 1 % of the exact rank', async () => {
    // 1,500 conversations over one day for globex: above the stack's 200-sample threshold.
    const LARGE_DAY = '2026-03-10';
    let seed = 11;
    const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
    const channels = ['WEB', 'SMS', 'EMAIL'];
    const cells = new Map<string, number[]>(); // hour|channel → first-response seconds
    const byChannel = new Map<string, number[]>();
    const events: DomainEvent[] = [];
    for (let i = 0; i < 1_500; i++) {
      const id = randomUUID();
      const channel = channels[i % 3]!;
      const start = Date.parse(`${LARGE_DAY}T00:00:00Z`) + Math.floor(rand() * 86_000) * 1000;
      const seconds = Math.round(Math.exp(2 + 2 * rand()) + (rand() < 0.2 ? 600 * rand() : 0));
      const hour = new Date(start - (start % 3_600_000)).toISOString();
      cells.set(`${hour}|${channel}`, [...(cells.get(`${hour}|${channel}`) ?? []), seconds]);
      byChannel.set(channel, [...(byChannel.get(channel) ?? []), seconds]);
      events.push(
        { id: randomUUID(), type: 'conversation.started', tenantId: globex, occurredAt: new Date(start).toISOString(), data: { id, channel, status: 'BOT', priority: 'NORMAL', assigneeId: null } },
        { id: randomUUID(), type: 'message.sent', tenantId: globex, occurredAt: new Date(start + seconds * 1000).toISOString(), data: { conversationId: id, authorKind: 'BOT', createdAt: new Date(start + seconds * 1000).toISOString() } },
      );
    }
    await publish(events);
    const globexAdmin = await stack.as('admin@globex.test');
    const res = await stack.gql(
      METRICS,
      { input: { from: `${LARGE_DAY}T00:00:00Z`, to: `${LARGE_DAY}T23:59:59Z`, interval: 'DAY', measures: ['FIRST_RESPONSE_P50_SECONDS', 'FIRST_RESPONSE_P90_SECONDS'], groupBy: ['CHANNEL'] } },
      globexAdmin,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.metrics).toHaveLength(6);
    for (const p of res.data.metrics as { measure: string; value: number; channel: string }[]) {
      const q = p.measure === 'FIRST_RESPONSE_P50_SECONDS' ? 0.5 : 0.9;
      // What merging the channel's hourly digests answers: the query used the sketches …
      const digests = [...cells.entries()].filter(([k]) => k.endsWith(`|${p.channel}`)).map(([, v]) => digestOf(v));
      expect(p.value).toBeCloseTo(quantile(mergeDigests(digests), q), 6);
      // … and that is within 1 % of the exact rank.
      const sorted = [...byChannel.get(p.channel)!].sort((a, b) => a - b);
      const rank = (sorted.filter((v) => v < p.value).length + sorted.filter((v) => v <= p.value).length) / 2 / sorted.length;
      expect(Math.abs(rank - q)).toBeLessThan(0.01);
    }
    // The same day by the hour: each hour holds fewer than 200 samples, so those are exact.
    const hourly = await stack.gql(
      METRICS,
      { input: { from: `${LARGE_DAY}T05:00:00Z`, to: `${LARGE_DAY}T06:00:00Z`, interval: 'HOUR', measures: ['FIRST_RESPONSE_P50_SECONDS'], groupBy: ['CHANNEL'] } },
      globexAdmin,
    );
    for (const p of hourly.data.metrics as { value: number; channel: string }[]) {
      const sorted = [...cells.get(`${LARGE_DAY}T05:00:00.000Z|${p.channel}`)!].sort((a, b) => a - b);
      const at = 0.5 * (sorted.length - 1);
      expect(p.value).toBeCloseTo(sorted[Math.floor(at)]! + (sorted[Math.ceil(at)]! - sorted[Math.floor(at)]!) * (at - Math.floor(at)), 9);
    }
  });
});
