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

/** The acme tenant's id, from a token. */
const tenantOf = (headers: Record<string, string>) => JSON.parse(Buffer.from(headers.authorization!.split('.')[1]!, 'base64url').toString()).tid as string;

async function partnerKey(scopes = ['tickets:read', 'tickets:write']) {
  const key = await stack.gql(`mutation($s: [String!]!) { createApiKey(input: { name: "partner", kind: PARTNER, scopes: $s }) { secret } }`, { s: scopes }, admin);
  return { 'x-api-key': key.data.createApiKey.secret as string };
}

function manifestId(name: string): string {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as { operations: { id: string; name: string }[] };
  return manifest.operations.find((o) => o.name === name)!.id;
}

describe('internal notes never reach partners (issue 9.2)', () => {
  it('keeps an internal note’s text out of every field a partner key can read, history included', async () => {
    const NOTE = 'Customer owes us 4,000 EUR, Zanzibar counsel is involved';
    const t = await create({ subject: 'Refund please' });
    await stack.gql(`mutation($id: ID!, $b: String!) { addTicketComment(id: $id, body: $b, internal: true) { id } }`, { id: t.id, b: NOTE }, agent);
    await stack.gql(`mutation($id: ID!) { addTicketComment(id: $id, body: "We are looking into it", internal: false) { id } }`, { id: t.id }, agent);

    const partner = await partnerKey();
    const byId = (name: string, variables: Record<string, unknown>) => post(stack.gateway.url, { variables, extensions: { persistedQuery: { version: 1, sha256Hash: manifestId(name) } } }, partner);
    const activity = await byId('TicketActivity', { id: t.id });
    expect(activity.errors).toBeUndefined();
    expect(activity.data.ticket.comments.map((c: any) => c.body)).toEqual(['We are looking into it']);
    expect(activity.data.ticket.history.map((h: any) => h.field)).toEqual(['status', 'reply', 'firstRespondedAt']);
    const read = await byId('TicketById', { id: t.id });
    const page = await byId('TicketsPage', { first: 100 });
    for (const res of [activity, read, page]) {
      expect(res.errors).toBeUndefined();
      expect(JSON.stringify(res)).not.toContain('Zanzibar');
      expect(JSON.stringify(res)).not.toContain('4,000');
    }

    // The team sees that a note was added (and the note itself), but history holds no text of it.
    const team = (await stack.gql(`query($id: ID!) { ticket(id: $id) { comments { body internal } history { field to } } }`, { id: t.id }, agent)).data.ticket;
    expect(team.comments.map((c: any) => c.body).sort()).toEqual([NOTE, 'We are looking into it'].sort()); // same clock tick: order by id
    expect(team.history.find((h: any) => h.field === 'internalNote')).toEqual({ field: 'internalNote', to: null });
    expect(JSON.stringify(team.history)).not.toContain('Zanzibar');
  });

  it('shows no text for internal-note history written before the fix', async () => {
    const t = await create();
    const em = stack.tickets!.orm.em.fork();
    await em.getConnection().execute(
      `insert into "${stack.tickets!.orm.config.get('schema')}"."ticket_history" ("id", "tenant_id", "ticket_id", "actor_kind", "field", "from", "to", "created_at") values (gen_random_uuid(), ?, ?, 'user', 'internalNote', null, ?, now())`,
      [tenantOf(agent), t.id, JSON.stringify('old note text: VIP discount')],
    );
    const history = (await stack.gql(`query($id: ID!) { ticket(id: $id) { history { field to } } }`, { id: t.id }, agent)).data.ticket.history;
    expect(history.find((h: any) => h.field === 'internalNote')).toEqual({ field: 'internalNote', to: null });
  });
});

describe('bounded lists (issue 9.8)', () => {
  /** Adds `n` comments (every third internal) and `n` history rows to a ticket, straight in the database. */
  async function fill(ticketId: string, n: number) {
    const em = stack.tickets!.orm.em.fork();
    const schema = stack.tickets!.orm.config.get('schema');
    const tenantId = tenantOf(agent);
    const base = Date.parse('2026-03-02T08:00:00.000Z');
    for (let i = 0; i < n; i++) {
      const at = new Date(base + i * 1000);
      await em.getConnection().execute(
        `insert into "${schema}"."ticket_comment" ("id", "tenant_id", "ticket_id", "author_kind", "author_id", "body", "internal", "created_at") values (gen_random_uuid(), ?, ?, 'apiKey', null, ?, ?, ?)`,
        [tenantId, ticketId, `comment ${i}`, i % 3 === 2, at],
      );
      await em.getConnection().execute(
        `insert into "${schema}"."ticket_history" ("id", "tenant_id", "ticket_id", "actor_kind", "field", "from", "to", "created_at") values (gen_random_uuid(), ?, ?, 'apiKey', 'subject', null, ?, ?)`,
        [tenantId, ticketId, JSON.stringify(`subject ${i}`), at],
      );
    }
  }

  it('returns at most `first` comments and history entries (default 20, at most 100), and pages on with `after`', async () => {
    const t = await create();
    await fill(t.id, 130);
    const Q = `query($id: ID!, $first: Int, $ac: ID, $ah: ID) { ticket(id: $id) { comments(first: $first, after: $ac) { id body } history(first: $first, after: $ah) { id to } } }`;
    const dflt = (await stack.gql(`query($id: ID!) { ticket(id: $id) { comments { id } history { id } } }`, { id: t.id }, agent)).data.ticket;
    expect([dflt.comments.length, dflt.history.length]).toEqual([20, 20]);
    const first = (await stack.gql(Q, { id: t.id, first: 100 }, agent)).data.ticket;
    expect([first.comments.length, first.history.length]).toEqual([100, 100]);
    expect(first.comments[0].body).toBe('comment 0');
    expect(first.history[0].to).toBe('OPEN'); // the ticket's own first entry, then the 130 added
    const rest = (await stack.gql(Q, { id: t.id, first: 100, ac: first.comments.at(-1).id, ah: first.history.at(-1).id }, agent)).data.ticket;
    expect(rest.comments.map((c: any) => c.body)).toEqual(Array.from({ length: 30 }, (_, i) => `comment ${100 + i}`));
    expect(rest.history).toHaveLength(31); // 1 status entry + 130 subject entries = 131
    const over = await stack.gql(Q, { id: t.id, first: 101 }, agent);
    expect(over.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const bad = await stack.gql(Q, { id: t.id, first: 5, ac: 'not-an-id' }, agent);
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('counts the cap for partners after leaving internal notes out, and in one statement for many tickets', async () => {
    const t = await create();
    await fill(t.id, 60);
    const partner = await partnerKey(['tickets:read']);
    const res = await post(stack.gateway.url, { variables: { id: t.id, first: 30 }, extensions: { persistedQuery: { version: 1, sha256Hash: manifestId('TicketActivity') } } }, partner);
    expect(res.data.ticket.comments).toHaveLength(30);
    expect(res.data.ticket.comments.every((c: any) => !c.internal)).toBe(true);

    const statements = (name: string) =>
      stack.logs.filter((l) => l.service === 'tickets' && String(l.operationName).startsWith(`${name}__`)).reduce((n, l) => n + (l.sqlStatements ?? 0), 0);
    const Q = (name: string, n: number) => `query ${name} { tickets(first: ${n}) { nodes { id comments(first: 3) { body } history(first: 3) { field } } } }`;
    await stack.gql(Q('ListsFive', 5), {}, agent);
    await stack.gql(Q('ListsFifty', 50), {}, agent);
    expect(statements('ListsFive')).toBeGreaterThan(0);
    expect(statements('ListsFifty')).toBe(statements('ListsFive'));
  });

  it('estimates the cost of those lists from their `first` (and their declared default), so it grows with it', async () => {
    const cost = async (inner: string) => {
      // Five aliased copies so the estimate is over the limit and the refusal reports it.
      const copies = ['a', 'b', 'c', 'd', 'e'].map((alias) => `${alias}: tickets(first: 100) { nodes { ${inner} } }`).join(' ');
      const res = await stack.gql(`{ ${copies} }`, {}, agent);
      expect(codes(res)).toEqual(['OPERATION_TOO_COMPLEX']);
      return res.errors![0]!.extensions!.cost as number;
    };
    const withFirst = (n: number | null) => cost(['comments', 'history'].map((f) => `${f}${n === null ? '' : `(first: ${n})`} { id }`).join(' '));
    const expected = (n: number) => 5 * (1 + 100 * (1 + 2 * (1 + n))); // per ticket: nodes 1 + two lists of 1 + n ids
    const dflt = await withFirst(null);
    const ten = await withFirst(10);
    const twenty = await withFirst(20);
    const hundred = await withFirst(100);
    expect([ten, twenty, hundred]).toEqual([expected(10), expected(20), expected(100)]);
    expect(dflt).toBe(twenty); // no `first`: the declared default, 20 — what the server returns
    expect(twenty).toBeLessThan(hundred);
  });
});

describe('assignment takeover (issue 9.10)', () => {
  const ASSIGN = `mutation($id: ID!, $u: ID) { assignTicket(id: $id, userId: $u) { assignee { email } } }`;

  it('lets an agent take only an unassigned ticket; taking one over from another agent needs SUPERVISOR', async () => {
    const agent2 = await stack.as('agent2@acme.test');
    const sup = await stack.as('supervisor@acme.test');
    const t = await create();
    expect((await stack.gql(ASSIGN, { id: t.id, u: users['agent@acme.test']!.id }, agent)).data.assignTicket.assignee.email).toBe('agent@acme.test');
    // Taking it again is harmless; agent2 taking it over is not allowed.
    expect((await stack.gql(ASSIGN, { id: t.id, u: users['agent@acme.test']!.id }, agent)).errors).toBeUndefined();
    const takeover = await stack.gql(ASSIGN, { id: t.id, u: users['agent2@acme.test']!.id }, agent2);
    expect(codes(takeover)).toEqual(['FORBIDDEN']);
    expect(takeover.errors![0]!.message).toMatch(/SUPERVISOR/);
    const still = (await stack.gql(`query($id: ID!) { ticket(id: $id) { assignee { email } history { field } } }`, { id: t.id }, agent)).data.ticket;
    expect(still.assignee.email).toBe('agent@acme.test');
    expect(still.history.filter((h: any) => h.field === 'assignee')).toHaveLength(1);
    // A supervisor may hand it over.
    expect((await stack.gql(ASSIGN, { id: t.id, u: users['agent2@acme.test']!.id }, sup)).data.assignTicket.assignee.email).toBe('agent2@acme.test');
  });
});

describe('input limits (issue 9.11)', () => {
  it('refuses NUL bytes in text fields with BAD_USER_INPUT naming the field, storing nothing', async () => {
    const before = (await stack.gql(`{ tickets { totalCount } }`, {}, agent)).data.tickets.totalCount;
    for (const [field, over] of [
      ['subject', { subject: 'a\u0000b' }],
      ['description', { description: 'x\u0000' }],
      ['requester.name', { requester: { name: 'P\u0000t', email: 'pat@example.com' } }],
      ['requester.email', { requester: { name: 'Pat', email: 'pat\u0000@example.com' } }],
      ['category', { category: 'bil\u0000ling' }],
      ['tags', { tags: ['ok', 'b\u0000d'] }],
    ] as const) {
      const res = await stack.gql(CREATE, { input: ticketInput(over) }, agent);
      expect({ field, ext: res.errors?.[0]?.extensions }).toMatchObject({ field, ext: { code: 'BAD_USER_INPUT', field } });
    }
    expect((await stack.gql(`{ tickets { totalCount } }`, {}, agent)).data.tickets.totalCount).toBe(before);
    const t = await create();
    const comment = await stack.gql(`mutation($id: ID!, $b: String!) { addTicketComment(id: $id, body: $b) { id } }`, { id: t.id, b: 'hi\u0000' }, agent);
    expect(comment.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'body' });
    const search = await stack.gql(`query($s: String) { tickets(filter: { search: $s }) { totalCount } }`, { s: 'a\u0000' }, agent);
    expect(search.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'search' });
    const sup = await stack.as('supervisor@acme.test');
    for (const timeZone of ['Europe/Berlin\u0000', 'Z'.repeat(65)]) {
      const policy = await stack.gql(
        `mutation($tz: String!) { upsertSlaPolicy(input: { priority: LOW, firstResponseMinutes: 60, resolutionMinutes: 600, businessHours: { timeZone: $tz, days: [1], start: "09:00", end: "17:00" } }) { priority } }`,
        { tz: timeZone },
        sup,
      );
      expect(policy.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'businessHours.timeZone' });
    }
  });

  it('answers a subscription sent over HTTP with 400 BAD_REQUEST, not 500', async () => {
    const res = await stack.gql(`subscription($id: ID!) { ticketUpdated(id: $id) { id status } }`, { id: '00000000-0000-0000-0000-000000000000' }, agent);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_REQUEST']);
    expect(res.errors![0]!.message).toMatch(/WebSocket/);
  });
});
