import { Agent } from '@switchboard/tickets/src/modules/agents/agent.entity';
import type { Stack } from './stack';

/** The acme and globex users by email, with their ids. */
export async function directory(stack: Stack): Promise<Record<string, { id: string; role: string }>> {
  const out: Record<string, { id: string; role: string }> = {};
  for (const admin of ['admin@acme.test', 'admin@globex.test']) {
    const res = await stack.gql(`{ users(first: 100) { nodes { id email role } } }`, {}, await stack.as(admin));
    for (const u of res.data.users.nodes) out[u.email] = { id: u.id, role: u.role };
  }
  return out;
}

/** Waits until the tickets subgraph's agent directory holds `count` users (it fills from user.upserted events). */
export async function agentsSynced(stack: Stack, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await stack.tickets!.orm.em.fork().count(Agent, {}, { filters: false })) >= count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`the agent directory never reached ${count} users`);
}

/** A counter's total in a Prometheus text exposition. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url.replace('/graphql', '/metrics'))).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

export const CREATE = `mutation($input: CreateTicketInput!) { createTicket(input: $input) { id number status priority version createdAt sla { state firstResponseDueAt resolutionDueAt breachedAt } } }`;

export function ticketInput(over: Record<string, unknown> = {}) {
  return { subject: 'Printer on fire', description: 'It is on fire.', priority: 'NORMAL', category: 'technical', requester: { name: 'Pat', email: 'pat@example.com' }, ...over };
}
