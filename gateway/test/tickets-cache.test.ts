import { startStack, type Stack } from './stack';
import { CREATE, agentsSynced, directory, metric, ticketInput } from './tickets-helpers';

const LIST = (name: string) => `query ${name}($n: Int!) { tickets(first: $n) { nodes { number subject assignee { name email } sla { state } } } }`;

/**
 * SQL statements each subgraph sent to serve the operation `name`, from the per-request
 * counts in their logs (the background relay and SLA timers are not part of any request).
 */
function statementsOf(stack: Stack, name: string): { tickets: number; tenants: number } {
  const sum = (service: string) =>
    stack.logs
      .filter((l) => l.service === service && l.msg === 'graphql request' && String(l.operationName).startsWith(`${name}__`))
      .reduce((n, l) => n + (l.sqlStatements ?? 0), 0);
  return { tickets: sum('tickets'), tenants: sum('tenants') };
}

describe('loading lists (no L2, so every read reaches the database)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tickets: true, redisUrl: '' });
    await agentsSynced(stack, 7);
    const users = Object.entries(await directory(stack)).filter(([email, u]) => email.endsWith('@acme.test') && u.role !== 'ANALYST');
    const sup = await stack.as('supervisor@acme.test');
    await stack.gql(`mutation { upsertSlaPolicy(input: { priority: NORMAL, firstResponseMinutes: 60, resolutionMinutes: 600 }) { id } }`, {}, sup);
    for (let i = 0; i < 50; i++) {
      const t = (await stack.gql(CREATE, { input: ticketInput({ subject: `Ticket ${i}` }) }, sup)).data.createTicket;
      await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { id } }`, { id: t.id, u: users[i % users.length]![1].id }, sup);
    }
  });
  afterAll(() => stack.close());

  it('costs the same SQL statements for 50 tickets with their assignees as for 5', async () => {
    const sup = await stack.as('supervisor@acme.test');
    const five = await stack.gql(LIST('Five'), { n: 5 }, sup);
    const fifty = await stack.gql(LIST('Fifty'), { n: 50 }, sup);
    const for5 = statementsOf(stack, 'Five');
    const for50 = statementsOf(stack, 'Fifty');
    expect(five.data.tickets.nodes).toHaveLength(5);
    expect(fifty.data.tickets.nodes).toHaveLength(50);
    expect(new Set(fifty.data.tickets.nodes.map((n: any) => n.assignee.email)).size).toBe(4);
    expect(fifty.data.tickets.nodes.every((n: any) => n.sla.state === 'ON_TRACK')).toBe(true);
    expect(for50).toEqual(for5);
    // tickets: the page, its count, one batch of SLA policies; tenants: one batch of assignees
    expect(for5).toEqual({ tickets: 3, tenants: 1 });
  });
});

describe('identical queries in flight at once', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tickets: true, redisUrl: '' });
  });
  afterAll(() => stack.close());

  it('answer every caller with their own tenant’s data', async () => {
    const acme = await stack.as('agent@acme.test');
    const globex = await stack.as('admin@globex.test');
    await stack.gql(CREATE, { input: ticketInput() }, acme);
    const Q = `query Same { ticketCounts { status count } }`;
    const answers = await Promise.all([...Array.from({ length: 10 }, () => stack.gql(Q, {}, acme)), ...Array.from({ length: 5 }, () => stack.gql(Q, {}, globex))]);
    const acmeOpen = answers.slice(0, 10).map((a) => a.data.ticketCounts.find((c: any) => c.status === 'OPEN').count);
    const globexOpen = answers.slice(10).map((a) => a.data.ticketCounts.find((c: any) => c.status === 'OPEN').count);
    expect(new Set(acmeOpen)).toEqual(new Set([1]));
    expect(new Set(globexOpen)).toEqual(new Set([0]));
    const fetches = stack.logs.filter((l) => l.service === 'tickets' && String(l.operationName).startsWith('Same__'));
    expect(new Set(fetches.map((l) => l.tenantId)).size).toBe(2); // each tenant fetched its own
  });

  it('never share mutations', async () => {
    const acme = await stack.as('agent@acme.test');
    const created = await Promise.all(Array.from({ length: 3 }, () => stack.gql(CREATE, { input: ticketInput({ subject: 'same' }) }, acme)));
    expect(new Set(created.map((c) => c.data.createTicket.id)).size).toBe(3);
  });
});

const redisUrl = process.env.REDIS_URL;
const withRedis = redisUrl ? describe : describe.skip;
if (!redisUrl) console.log('L2 cache tests skipped: REDIS_URL is not set (the no-Redis and unreachable-Redis cases still run)');

withRedis('the Redis L2 cache', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tickets: true, redisUrl });
  });
  afterAll(() => stack.close());

  it('serves a second read from Redis, and a write invalidates it (read-your-write through the gateway)', async () => {
    const agent = await stack.as('agent@acme.test');
    const t = (await stack.gql(CREATE, { input: ticketInput() }, agent)).data.createTicket;
    const GET = `query($id: ID!) { ticket(id: $id) { subject version } }`;
    await stack.gql(GET, { id: t.id }, agent); // fills the key
    const hitsBefore = await metric(stack.tickets!.url, 'cache_hits_total');
    await stack.gql(GET.replace('query(', 'query Cached('), { id: t.id }, agent);
    expect(await metric(stack.tickets!.url, 'cache_hits_total')).toBe(hitsBefore + 1);
    expect(stack.logs.some((l) => l.service === 'tickets' && String(l.operationName).startsWith('Cached__'))).toBe(true);
    expect(statementsOf(stack, 'Cached').tickets).toBe(0);

    await stack.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { subject: "Printer merely smoking" }) { version } }`, { id: t.id }, agent);
    const after = await stack.gql(GET, { id: t.id }, agent);
    expect(after.data.ticket).toEqual({ subject: 'Printer merely smoking', version: t.version + 1 });
  });

  it('invalidates users too: a role change is visible on the next read', async () => {
    const admin = await stack.as('admin@acme.test');
    const users = await directory(stack);
    const id = users['agent2@acme.test']!.id;
    const GET = `query($id: ID!) { user(id: $id) { role } }`;
    expect((await stack.gql(GET, { id }, admin)).data.user.role).toBe('AGENT');
    expect((await stack.gql(GET, { id }, admin)).data.user.role).toBe('AGENT'); // from Redis
    await stack.gql(`mutation($id: ID!) { updateUserRole(id: $id, role: SUPERVISOR) { role } }`, { id }, admin);
    expect((await stack.gql(GET, { id }, admin)).data.user.role).toBe('SUPERVISOR');
  });

  it('keeps tenants apart in the cache', async () => {
    const acme = await stack.as('agent@acme.test');
    const t = (await stack.gql(CREATE, { input: ticketInput({ subject: 'acme secret' }) }, acme)).data.createTicket;
    await stack.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id: t.id }, acme); // cached for acme
    const res = await stack.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id: t.id }, await stack.as('admin@globex.test'));
    expect(res.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });
});

describe('with Redis unreachable', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ tickets: true, redisUrl: 'redis://127.0.0.1:1' });
  });
  afterAll(() => stack.close());

  it('answers the same queries from the database and counts the misses', async () => {
    const agent = await stack.as('agent@acme.test');
    const t = (await stack.gql(CREATE, { input: ticketInput() }, agent)).data.createTicket;
    const missesBefore = await metric(stack.tickets!.url, 'cache_misses_total');
    const res = await stack.gql(`query($id: ID!) { ticket(id: $id) { subject assignee { name } } me { name } }`, { id: t.id }, agent);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ ticket: { subject: 'Printer on fire', assignee: null }, me: { name: 'Alex Agent' } });
    expect(await metric(stack.tickets!.url, 'cache_misses_total')).toBeGreaterThan(missesBefore);
    expect(await metric(stack.tickets!.url, 'cache_errors_total')).toBeGreaterThan(0);
  });
});
