import { upsertDirectoryEntry } from '@switchboard/kit';
import { Agent } from '@switchboard/conversations/src/modules/agents/agent.entity';
import { AGENT_CAPACITY } from '@switchboard/conversations/src/modules/conversations/round-robin';
import { randomUUID } from 'node:crypto';
import { codes, startStack, type Stack } from './stack';

/** Round-robin assignment through the gateway: locked and counted in the unit of work that assigns. */

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
