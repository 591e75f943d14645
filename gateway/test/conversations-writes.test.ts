import { upsertDirectoryEntry } from '@switchboard/kit';
import { Agent } from '@switchboard/conversations/src/modules/agents/agent.entity';
import { AGENT_CAPACITY } from '@switchboard/conversations/src/modules/conversations/round-robin';
import { randomUUID } from 'node:crypto';
import { codes, startStack, type Stack } from './stack';

/**
 * Writes of the conversations subgraph through the gateway: each mutation is one unit of work
 * (its changes and its domain events, or nothing), and round-robin assignment is locked and
 * counted in the unit of work that assigns.
 */

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ conversations: true, redisUrl: '' });
  for (let i = 0; i < 400 && (await stack.conversations!.orm.em.fork().count(Agent, {}, { filters: false })) < 7; i++) await new Promise((r) => setTimeout(r, 25));
});
afterAll(() => stack.close());

const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }`;
const AUTO = (name: string) => `mutation ${name}($id: ID!) { assignConversation(id: $id) { status assignee { id name } } }`;

async function start(as: Record<string, string>): Promise<string> {
  const res = await stack.gql(START, { input: { channel: 'WEB', contact: { name: 'Kim' } } }, as);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.startConversation.id;
}

const statements = (operation: string) =>
  stack.logs.filter((l) => l.service === 'conversations' && String(l.operationName).startsWith(`${operation}__`)).reduce((n, l) => n + (l.sqlStatements ?? 0), 0);

describe('round-robin assignment', () => {
  it('costs the same SQL statements with 2 agents as with 12', async () => {
    const sup = await stack.as('supervisor@acme.test');
    const first = await stack.gql(AUTO('AutoTwoAgents'), { id: await start(sup) }, sup);
    expect(first.data.assignConversation).toMatchObject({ status: 'ASSIGNED', assignee: { name: 'Alex Agent' } });

    // Ten more agents in the conversations subgraph's directory (as `user.upserted` would add them).
    const tenantId = (await stack.conversations!.orm.em.fork().findOneOrFail(Agent, { name: 'Alex Agent' }, { filters: false })).tenantId;
    const em = stack.conversations!.orm.em.fork();
    for (let i = 0; i < 10; i++) await upsertDirectoryEntry(em, Agent, tenantId, { id: randomUUID(), name: `Zed ${i}`, role: 'AGENT', skills: [] }, new Date());
    const second = await stack.gql(AUTO('AutoTwelveAgents'), { id: await start(sup) }, sup);
    expect(second.data.assignConversation).toMatchObject({ status: 'ASSIGNED', assignee: { name: 'Blair Agent' } });

    expect(statements('AutoTwoAgents')).toBeGreaterThan(0);
    expect(statements('AutoTwelveAgents')).toBe(statements('AutoTwoAgents'));
  });

  it('never goes over capacity when two assignments race for the last place', async () => {
    const admin = await stack.as('admin@globex.test'); // one AGENT: Gina
    const users = (await stack.gql(`{ users(first: 100) { nodes { id role } } }`, {}, admin)).data.users.nodes;
    const gina = users.find((u: any) => u.role === 'AGENT').id;
    for (let i = 0; i < AGENT_CAPACITY - 1; i++) {
      const res = await stack.gql(`mutation($id: ID!, $u: ID) { assignConversation(id: $id, userId: $u) { status } }`, { id: await start(admin), u: gina }, admin);
      expect(res.errors).toBeUndefined();
    }
    const [a, b] = [await start(admin), await start(admin)];
    const results = await Promise.all([a, b].map((id) => stack.gql(AUTO('AutoRace'), { id }, admin)));
    const assigned = results.filter((r) => !r.errors);
    expect(assigned).toHaveLength(1);
    expect(assigned[0]!.data.assignConversation.assignee.id).toBe(gina);
    const refused = results.find((r) => r.errors)!;
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.extensions).toMatchObject({ reason: 'NO_AVAILABLE_AGENT', capacity: AGENT_CAPACITY });
    const held = await stack.gql(`query($u: ID) { conversations(filter: { assigneeId: $u, status: [ASSIGNED] }) { totalCount } }`, { u: gina }, admin);
    expect(held.data.conversations.totalCount).toBe(AGENT_CAPACITY);
  });
});

describe('one unit of work per mutation', () => {
  const sql = (query: string, params: unknown[] = []) => stack.conversations!.orm.em.fork().getConnection().execute(query, params);
  const schema = () => stack.conversations!.orm.config.get('schema') as string;
  /** Makes the database refuse messages whose text matches `pattern` until the returned function runs. */
  async function refuseMessages(pattern: string): Promise<() => Promise<void>> {
    await sql(`alter table "${schema()}"."message" add constraint "test_refuse" check ("text" not like '${pattern}') not valid`);
    return async () => void (await sql(`alter table "${schema()}"."message" drop constraint "test_refuse"`));
  }
  const outbox = async (type: string) => (await sql(`select "data" from "${schema()}"."outbox" where "type" = ?`, [type])) as { data: Record<string, unknown> }[];

  it('startConversation whose first message fails leaves no conversation, no contact and no event', async () => {
    const agent = await stack.as('agent@acme.test');
    const before = { queue: (await stack.gql(`{ conversations { totalCount } }`, {}, agent)).data.conversations.totalCount, started: (await outbox('conversation.started')).length };
    const restore = await refuseMessages('refuse-me%');
    try {
      const res = await stack.gql(START, { input: { channel: 'WEB', contact: { name: 'Nobody', email: 'nobody@example.test' }, text: 'refuse-me please' } }, agent);
      expect(codes(res)).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      await restore();
    }
    expect((await stack.gql(`{ conversations { totalCount } }`, {}, agent)).data.conversations.totalCount).toBe(before.queue);
    expect(await outbox('conversation.started')).toHaveLength(before.started);
    expect(await sql(`select 1 from "${schema()}"."contact" where "email" = 'nobody@example.test'`)).toEqual([]);
    // And when it works, the conversation, its message and both events are there together.
    const ok = await stack.gql(`mutation($input: StartConversationInput!) { startConversation(input: $input) { id messages { totalCount } } }`, { input: { channel: 'WEB', contact: { name: 'Somebody' }, text: 'hello' } }, agent);
    expect(ok.data.startConversation.messages.totalCount).toBe(1);
    expect((await outbox('conversation.started')).map((e) => e.data.id)).toContain(ok.data.startConversation.id);
    expect((await outbox('message.sent')).filter((e) => e.data.conversationId === ok.data.startConversation.id)).toHaveLength(1);
  });

  it('escalateToTicket whose system message fails asks tickets for nothing', async () => {
    const agent = await stack.as('agent@acme.test');
    const id = await start(agent);
    const ESCALATE = `mutation($id: ID!, $s: String) { escalateToTicket(id: $id, subject: $s) { id } }`;
    const restore = await refuseMessages('Escalated to a ticket: refuse-me%');
    try {
      expect(codes(await stack.gql(ESCALATE, { id, s: 'refuse-me' }, agent))).toEqual(['INTERNAL_SERVER_ERROR']);
    } finally {
      await restore();
    }
    expect((await outbox('conversation.escalated')).filter((e) => e.data.conversationId === id)).toEqual([]);
    expect((await stack.gql(ESCALATE, { id, s: 'a real one' }, agent)).errors).toBeUndefined();
    expect((await outbox('conversation.escalated')).filter((e) => e.data.conversationId === id).map((e) => e.data.subject)).toEqual(['a real one']);
  });
});
