import { TEST_SECRETS } from '@switchboard/kit/src/testing';
import { IDENTITY_HEADER, signIdentity } from '@switchboard/kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runSlaCheck } from '@switchboard/tickets';
import { codes, post, startStack, type Stack } from './stack';
import { CREATE, agentsSynced, directory, ticketInput } from './tickets-helpers';

// Monday 2 March 2026, 08:00 in Berlin (07:00 UTC): the tickets subgraph's clock, moved by the tests.
let now = new Date('2026-03-02T07:00:00.000Z');
let stack: Stack;
let users: Record<string, { id: string; role: string }>;
let admin: Record<string, string>;
let agent: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ tickets: true, clock: () => now, redisUrl: '' });
  await agentsSynced(stack, 7);
  users = await directory(stack);
  admin = await stack.as('admin@acme.test');
  agent = await stack.as('agent@acme.test');
});
afterAll(() => stack.close());

const STATUS = `mutation($id: ID!, $status: TicketStatus!, $v: Int) { changeTicketStatus(id: $id, status: $status, expectedVersion: $v) { status version resolvedAt allowedTransitions } }`;
const GET = `query($id: ID!) { ticket(id: $id) { number status version resolvedAt history { field from to actor { email } } } }`;

async function create(over: Record<string, unknown> = {}, as = agent) {
  const res = await stack.gql(CREATE, { input: ticketInput(over) }, as);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.createTicket;
}

describe('status workflow', () => {
  it('walks the legal path, reopens a resolved ticket, and records every change with who made it', async () => {
    const t = await create();
    for (const status of ['IN_PROGRESS', 'RESOLVED', 'OPEN', 'RESOLVED', 'CLOSED']) {
      const res = await stack.gql(STATUS, { id: t.id, status }, agent);
      expect(res.errors).toBeUndefined();
      expect(res.data.changeTicketStatus.status).toBe(status);
    }
    const { ticket } = (await stack.gql(GET, { id: t.id }, agent)).data;
    expect(ticket.history.map((h: any) => `${h.from ?? '-'}>${h.to}`)).toEqual(['->OPEN', 'OPEN>IN_PROGRESS', 'IN_PROGRESS>RESOLVED', 'RESOLVED>OPEN', 'OPEN>RESOLVED', 'RESOLVED>CLOSED']);
    expect(ticket.history.every((h: any) => h.actor.email === 'agent@acme.test')).toBe(true);
  });

  it('refuses every illegal transition with INVALID_TRANSITION and the allowed targets, changing nothing', async () => {
    const ALL = ['OPEN', 'IN_PROGRESS', 'PENDING', 'RESOLVED', 'CLOSED'];
    const LEGAL: Record<string, string[]> = {
      OPEN: ['IN_PROGRESS', 'PENDING', 'RESOLVED', 'CLOSED'],
      IN_PROGRESS: ['OPEN', 'PENDING', 'RESOLVED'],
      PENDING: ['OPEN', 'IN_PROGRESS', 'RESOLVED'],
      RESOLVED: ['OPEN', 'CLOSED'],
      CLOSED: [],
    };
    const PATH: Record<string, string[]> = { OPEN: [], IN_PROGRESS: ['IN_PROGRESS'], PENDING: ['PENDING'], RESOLVED: ['RESOLVED'], CLOSED: ['CLOSED'] };
    for (const from of ALL) {
      const t = await create();
      for (const step of PATH[from]!) await stack.gql(STATUS, { id: t.id, status: step }, agent);
      const before = (await stack.gql(GET, { id: t.id }, agent)).data.ticket;
      for (const to of ALL.filter((s) => !LEGAL[from]!.includes(s))) {
        const res = await stack.gql(STATUS, { id: t.id, status: to }, agent);
        expect({ from, to, code: codes(res)[0] }).toEqual({ from, to, code: 'INVALID_TRANSITION' });
        expect(res.errors![0]!.extensions).toMatchObject({ from, allowed: LEGAL[from] });
      }
      expect((await stack.gql(GET, { id: t.id }, agent)).data.ticket).toEqual(before);
    }
  });

  it('answers CONFLICT to the loser of two updates of the same version, and keeps the winner’s write', async () => {
    const t = await create();
    const update = (subject: string) =>
      stack.gql(`mutation($id: ID!, $s: String!, $v: Int) { updateTicket(id: $id, input: { subject: $s }, expectedVersion: $v) { subject version } }`, { id: t.id, s: subject, v: t.version }, agent);
    const [a, b] = await Promise.all([update('First writer'), update('Second writer')]);
    const outcomes = [a, b].map((r) => codes(r)[0] ?? 'ok').sort();
    expect(outcomes).toEqual(['CONFLICT', 'ok']);
    const winner = (a.errors ? b : a).data.updateTicket;
    const after = (await stack.gql(`query($id: ID!) { ticket(id: $id) { subject version history { field } } }`, { id: t.id }, agent)).data.ticket;
    expect(after.subject).toBe(winner.subject);
    expect(after.version).toBe(t.version + 1);
    expect(after.history.filter((h: any) => h.field === 'subject')).toHaveLength(1);
  });
});

describe('ticket numbers', () => {
  it('gives 20 concurrent creations 20 distinct consecutive numbers', async () => {
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => create({ subject: `Concurrent ${i}` })));
    const numbers = created.map((t) => t.number).sort((x, y) => x - y);
    expect(new Set(numbers).size).toBe(20);
    expect(numbers.at(-1)! - numbers[0]!).toBe(19);
  });

  it('keeps numbers per tenant', async () => {
    const globex = await stack.as('admin@globex.test');
    const first = await create({}, globex);
    const second = await create({}, globex);
    expect([first.number, second.number]).toEqual([1, 2]);
  });
});

describe('SLA', () => {
  const POLICY = `mutation($input: SlaPolicyInput!) { upsertSlaPolicy(input: $input) { priority firstResponseMinutes resolutionMinutes businessHours { timeZone days start end } } }`;
  const minutes = (a: string, b: string) => (new Date(b).getTime() - new Date(a).getTime()) / 60_000;

  beforeAll(async () => {
    const sup = await stack.as('supervisor@acme.test');
    for (const [priority, fr, res] of [['URGENT', 15, 120], ['HIGH', 60, 480], ['NORMAL', 240, 1440]] as const) {
      const r = await stack.gql(POLICY, { input: { priority, firstResponseMinutes: fr, resolutionMinutes: res } }, sup);
      expect(r.errors).toBeUndefined();
    }
    const low = await stack.gql(POLICY, { input: { priority: 'LOW', firstResponseMinutes: 60, resolutionMinutes: 600, businessHours: { timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' } } }, sup);
    expect(low.data.upsertSlaPolicy.businessHours.timeZone).toBe('Europe/Berlin');
  });

  it('sets due times from each priority’s policy at creation', async () => {
    for (const [priority, fr, res] of [['URGENT', 15, 120], ['HIGH', 60, 480], ['NORMAL', 240, 1440]] as const) {
      const t = await create({ priority });
      expect([minutes(t.createdAt, t.sla.firstResponseDueAt), minutes(t.createdAt, t.sla.resolutionDueAt)]).toEqual([fr, res]);
      expect(t.sla.state).toBe('ON_TRACK');
    }
  });

  it('counts only business hours when the policy has them', async () => {
    now = new Date('2026-03-06T15:30:00.000Z'); // Friday 16:30 in Berlin
    const t = await create({ priority: 'LOW' });
    expect(t.sla.firstResponseDueAt).toBe('2026-03-09T08:30:00.000Z'); // Monday 09:30 Berlin: 30 min on Friday, 30 on Monday
    expect(t.sla.resolutionDueAt).toBe('2026-03-10T09:30:00.000Z'); // 600 working minutes: 30 Fri + 480 Mon + 90 Tue
    now = new Date('2026-03-02T07:00:00.000Z');
  });

  it('recomputes due times when the priority changes', async () => {
    const t = await create({ priority: 'NORMAL' });
    const res = await stack.gql(`mutation($id: ID!) { updateTicket(id: $id, input: { priority: URGENT }) { sla { firstResponseDueAt } } }`, { id: t.id }, agent);
    expect(minutes(t.createdAt, res.data.updateTicket.sla.firstResponseDueAt)).toBe(15);
  });

  it('marks tickets AT_RISK, then BREACHED with the moment of breach, on the periodic check', async () => {
    const start = new Date('2026-03-02T09:00:00.000Z');
    now = start;
    const t = await create({ priority: 'URGENT' }); // first response due in 15 minutes
    const answered = await create({ priority: 'URGENT' });
    await stack.gql(`mutation($id: ID!) { addTicketComment(id: $id, body: "On it!") { id } }`, { id: answered.id }, agent);
    const state = async (id: string) => (await stack.gql(`query($id: ID!) { ticket(id: $id) { sla { state breachedAt } history { field to actor { id } } } }`, { id }, agent)).data.ticket;

    now = new Date(start.getTime() + 10 * 60_000); // 5 of 15 minutes left: 33% > 25%
    await runSlaCheck(stack.tickets!.orm, now, 25);
    expect((await state(t.id)).sla.state).toBe('ON_TRACK');

    now = new Date(start.getTime() + 12 * 60_000); // 3 of 15 left: 20% ≤ 25%
    const atRisk = await runSlaCheck(stack.tickets!.orm, now, 25);
    expect(atRisk.atRisk).toBeGreaterThanOrEqual(1);
    expect((await state(t.id)).sla.state).toBe('AT_RISK');

    now = new Date(start.getTime() + 16 * 60_000);
    await runSlaCheck(stack.tickets!.orm, now, 25);
    const breached = await state(t.id);
    expect(breached.sla).toEqual({ state: 'BREACHED', breachedAt: new Date(start.getTime() + 15 * 60_000).toISOString() });
    expect(breached.history.filter((h: any) => h.field === 'slaState').map((h: any) => [h.to, h.actor])).toEqual([['AT_RISK', null], ['BREACHED', null]]);
    // The answered ticket's first response was on time; its resolution is hours away.
    expect((await state(answered.id)).sla.state).toBe('ON_TRACK');
    now = new Date('2026-03-02T07:00:00.000Z');
  });

  it('refuses invalid policies naming the field, and lets only supervisors and up set them', async () => {
    const sup = await stack.as('supervisor@acme.test');
    const bad = await stack.gql(POLICY, { input: { priority: 'LOW', firstResponseMinutes: 60, resolutionMinutes: 30 } }, sup);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'resolutionMinutes' });
    const zone = await stack.gql(POLICY, { input: { priority: 'LOW', firstResponseMinutes: 60, resolutionMinutes: 600, businessHours: { timeZone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' } } }, sup);
    expect(zone.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'businessHours.timeZone' });
    expect(codes(await stack.gql(POLICY, { input: { priority: 'LOW', firstResponseMinutes: 1, resolutionMinutes: 2 } }, agent))).toEqual(['FORBIDDEN']);
  });
});

describe('assignment', () => {
  const AUTO = `mutation($id: ID!) { autoAssignTicket(id: $id) { version assignee { id name } } }`;

  it('auto-assigns the least-loaded AGENT whose skills cover the category', async () => {
    const sup = await stack.as('supervisor@acme.test');
    const tech = await create({ category: 'technical' });
    const res = await stack.gql(AUTO, { id: tech.id }, sup);
    expect(res.data.autoAssignTicket.assignee).toEqual({ id: users['agent2@acme.test']!.id, name: 'Blair Agent' });

    // A new billing agent, known to tickets only through the user.upserted event, has no load yet.
    const created = await stack.gql(
      `mutation { createUser(input: { email: "casey@acme.test", name: "Casey Agent", role: AGENT, password: "a-long-password", skills: ["billing"] }) { id } }`,
      {},
      admin,
    );
    await agentsSynced(stack, 8);
    const billing1 = await create({ category: 'billing' });
    const first = await stack.gql(AUTO, { id: billing1.id }, sup);
    const billing2 = await create({ category: 'billing' });
    const second = await stack.gql(AUTO, { id: billing2.id }, sup);
    const picked = [first.data.autoAssignTicket.assignee.id, second.data.autoAssignTicket.assignee.id].sort();
    expect(picked).toEqual([users['agent@acme.test']!.id, created.data.createUser.id].sort());
  });

  it('refuses when no agent has the skill, leaving the ticket as it was', async () => {
    const sup = await stack.as('supervisor@acme.test');
    const t = await create({ category: 'legal' });
    const res = await stack.gql(AUTO, { id: t.id }, sup);
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'NO_ELIGIBLE_AGENT', category: 'legal' });
    const after = (await stack.gql(`query($id: ID!) { ticket(id: $id) { version assignee { id } } }`, { id: t.id }, agent)).data.ticket;
    expect(after).toEqual({ version: t.version, assignee: null });
  });

  it('lets agents take tickets themselves but not hand them to others', async () => {
    const t = await create();
    const self = await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { assignee { email } } }`, { id: t.id, u: users['agent@acme.test']!.id }, agent);
    expect(self.data.assignTicket.assignee.email).toBe('agent@acme.test');
    const other = await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { id } }`, { id: t.id, u: users['agent2@acme.test']!.id }, agent);
    expect(codes(other)).toEqual(['FORBIDDEN']);
  });

  it('refuses another tenant’s user as assignee with NOT_FOUND', async () => {
    const t = await create();
    const res = await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { id } }`, { id: t.id, u: users['agent@globex.test']!.id }, admin);
    expect(codes(res)).toEqual(['NOT_FOUND']);
  });
});

describe('across subgraphs and tenants', () => {
  it('joins tickets with their assignees from the tenants subgraph, and users with their tickets', async () => {
    const t = await create();
    await stack.gql(`mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { id } }`, { id: t.id, u: users['agent@acme.test']!.id }, agent);
    const res = await stack.gql(
      `query($id: ID!) { ticket(id: $id) { number assignee { name email role openTicketCount assignedTickets(first: 100) { nodes { id } } } } }`,
      { id: t.id },
      agent,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.ticket.assignee).toMatchObject({ name: 'Alex Agent', email: 'agent@acme.test', role: 'AGENT' });
    expect(res.data.ticket.assignee.openTicketCount).toBeGreaterThanOrEqual(1);
    expect(res.data.ticket.assignee.assignedTickets.nodes).toContainEqual({ id: t.id });
  });

  it('answers NOT_FOUND for another tenant’s ticket, through the gateway and in _entities', async () => {
    const t = await create();
    const globex = await stack.as('admin@globex.test');
    expect(codes(await stack.gql(`query($id: ID!) { ticket(id: $id) { subject } }`, { id: t.id }, globex))).toEqual(['NOT_FOUND']);
    expect(codes(await stack.gql(STATUS, { id: t.id, status: 'CLOSED' }, globex))).toEqual(['NOT_FOUND']);

    const secret = TEST_SECRETS.INTERNAL_SECRET;
    const globexTenantId = JSON.parse(Buffer.from(globex.authorization!.split('.')[1]!, 'base64url').toString()).tid;
    // A header is signed for one subgraph and accepted once: one per call.
    const asGlobex = (audience: string) => ({
      [IDENTITY_HEADER]: signIdentity({ kind: 'user', tenantId: globexTenantId, userId: users['admin@globex.test']!.id, roles: ['OWNER'], scopes: [], audience }, secret),
    });
    const entities = await post(
      stack.tickets!.url,
      { query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Ticket { subject } } }`, variables: { r: [{ __typename: 'Ticket', id: t.id }] } },
      asGlobex('tickets'),
    );
    expect(codes(entities)).toEqual(['NOT_FOUND']);
    expect(JSON.stringify(entities)).not.toContain('Printer on fire');
    const userEntities = await post(
      stack.tenants.url,
      { query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on User { email } } }`, variables: { r: [{ __typename: 'User', id: users['agent@acme.test']!.id }] } },
      asGlobex('tenants'),
    );
    expect(codes(userEntities)).toEqual(['NOT_FOUND']);
  });

  it('hides internal notes from partner keys', async () => {
    const t = await create();
    await stack.gql(`mutation($id: ID!) { addTicketComment(id: $id, body: "Customer is on the legacy plan", internal: true) { id } }`, { id: t.id }, agent);
    await stack.gql(`mutation($id: ID!) { addTicketComment(id: $id, body: "We are on it", internal: false) { id } }`, { id: t.id }, agent);
    const secret = TEST_SECRETS.INTERNAL_SECRET;
    const tenantId = JSON.parse(Buffer.from(agent.authorization!.split('.')[1]!, 'base64url').toString()).tid;
    const query = { query: `query($id: ID!) { ticket(id: $id) { comments { body internal } } }`, variables: { id: t.id } };
    const as = (apiKeyKind: 'PARTNER' | 'FIRST_PARTY') => ({
      [IDENTITY_HEADER]: signIdentity({ kind: 'apiKey', tenantId, apiKeyId: '00000000-0000-0000-0000-000000000001', apiKeyKind, roles: [], scopes: ['tickets:read'], audience: 'tickets' }, secret),
    });
    expect((await post(stack.tickets!.url, query, as('PARTNER'))).data.ticket.comments).toEqual([{ body: 'We are on it', internal: false }]);
    expect((await post(stack.tickets!.url, query, as('FIRST_PARTY'))).data.ticket.comments).toHaveLength(2);
  });

  it('lets a partner key run the manifest’s ticket operations, without internal notes', async () => {
    const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as { operations: { id: string; name: string }[] };
    const id = (name: string) => manifest.operations.find((o) => o.name === name)!.id;
    const key = await stack.gql(`mutation { createApiKey(input: { name: "crm", kind: PARTNER, scopes: ["tickets:read", "tickets:write"] }) { secret } }`, {}, admin);
    const partner = { 'x-api-key': key.data.createApiKey.secret };
    const byId = (name: string, variables: Record<string, unknown>) =>
      post(stack.gateway.url, { variables, extensions: { persistedQuery: { version: 1, sha256Hash: id(name) } } }, partner);

    const created = await byId('CreateTicket', { input: ticketInput({ subject: 'From the CRM' }) });
    expect(created.errors).toBeUndefined();
    const ticketId = created.data.createTicket.id;
    await stack.gql(`mutation($id: ID!) { addTicketComment(id: $id, body: "VIP, handle with care", internal: true) { id } }`, { id: ticketId }, agent);
    await byId('ReplyToTicket', { id: ticketId, body: 'We have your case' });
    const read = await byId('TicketById', { id: ticketId });
    expect(read.data.ticket.comments.map((c: any) => c.body)).toEqual(['We have your case']);
    expect(codes(await post(stack.gateway.url, { query: `{ ticketCounts { status count } }` }, partner))).toEqual(['PERSISTED_QUERY_ID_REQUIRED']);
  });

  it('lets analysts read tickets but not create them', async () => {
    const analyst = await stack.as('analyst@acme.test');
    expect(codes(await stack.gql(CREATE, { input: ticketInput() }, analyst))).toEqual(['FORBIDDEN']);
    const counts = await stack.gql(`{ ticketCounts { status count } }`, {}, analyst);
    expect(counts.data.ticketCounts.map((c: any) => c.status)).toEqual(['OPEN', 'IN_PROGRESS', 'PENDING', 'RESOLVED', 'CLOSED']);
  });

  it('refuses bad input naming the field, and stores nothing', async () => {
    const before = (await stack.gql(`{ tickets { totalCount } }`, {}, agent)).data.tickets.totalCount;
    for (const [field, over] of [
      ['subject', { subject: '  ' }],
      ['requester.email', { requester: { name: 'X', email: 'nope' } }],
      ['tags', { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }],
    ] as const) {
      const res = await stack.gql(CREATE, { input: ticketInput(over) }, agent);
      expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    expect((await stack.gql(`{ tickets { totalCount } }`, {}, agent)).data.tickets.totalCount).toBe(before);
  });
});
