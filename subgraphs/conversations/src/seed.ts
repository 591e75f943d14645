import { emitEvent, upsertDirectoryEntry, type RunningSubgraph } from '@switchboard/kit';
import { Agent } from './modules/agents/agent.entity';
import type { Channel, ConversationStatus, ConversationStore } from './store/types';

interface DirectoryEntry {
  id: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  role: string;
  skills: string[];
}

const SCRIPTS: { channel: Channel; status: ConversationStatus; contact: string; lines: [string, string][] }[] = [
  { channel: 'WEB', status: 'BOT', contact: 'Robin Web', lines: [['CUSTOMER', 'Hi, where is my order #1042?'], ['BOT', 'It left our warehouse yesterday and arrives tomorrow.']] },
  { channel: 'WHATSAPP', status: 'QUEUED', contact: 'Kim WhatsApp', lines: [['CUSTOMER', 'I was charged twice'], ['BOT', 'Let me get a person to look at your invoice.'], ['SYSTEM', 'Handed off to a human: billing dispute']] },
  { channel: 'EMAIL', status: 'ASSIGNED', contact: 'Lee Email', lines: [['CUSTOMER', 'Our SSO login fails since this morning'], ['AGENT', 'Looking into it now: which identity provider do you use?']] },
  { channel: 'SLACK', status: 'RESOLVED', contact: 'Sasha Slack', lines: [['CUSTOMER', 'How do I add a teammate?'], ['AGENT', 'Settings → Team → Invite. Done!'], ['CUSTOMER', 'Thanks!']] },
  { channel: 'SMS', status: 'CLOSED', contact: 'Jo SMS', lines: [['CUSTOMER', 'STOP'], ['SYSTEM', 'Unsubscribed from marketing messages']] },
  { channel: 'MESSENGER', status: 'BOT', contact: 'Ari Messenger', lines: [['CUSTOMER', 'Do you ship to Canada?'], ['BOT', 'Yes, in 3–5 business days.']] },
  { channel: 'TEAMS', status: 'QUEUED', contact: 'Dev Teams', lines: [['CUSTOMER', 'Can we get a call about the enterprise plan?']] },
];

/** Demo conversations once per tenant, on several channels in every status, plus the agent directory. */
export async function seedDemoConversations(app: RunningSubgraph & { store: ConversationStore }, directory: DirectoryEntry[]): Promise<{ seeded: boolean }> {
  const em = app.orm.em.fork();
  for (const u of directory) await upsertDirectoryEntry(em, Agent, u.tenantId, u, new Date(0));
  const tenants = [...new Map(directory.map((u) => [u.tenantId, u.tenantSlug])).entries()];
  let seeded = false;
  for (const [tenantId, slug] of tenants) {
    if ((await app.store.listConversations(tenantId, {}, { first: 1 })).totalCount) continue;
    seeded = true;
    const agent = directory.find((u) => u.tenantId === tenantId && u.role === 'AGENT');
    const scripts = slug === 'acme' ? SCRIPTS : SCRIPTS.slice(0, 3);
    for (const [i, s] of scripts.entries()) {
      const conversation = await app.store.createConversation(tenantId, {
        channel: s.channel,
        contact: { name: s.contact, email: `${s.contact.split(' ')[0]!.toLowerCase()}@example.com`, externalIds: { [s.channel]: `ext-${slug}-${i}` } },
        priority: i % 3 === 0 ? 'HIGH' : 'NORMAL',
        tags: i % 2 ? ['vip'] : [],
      });
      for (const [kind, text] of s.lines) {
        await app.store.appendMessage(tenantId, conversation.id, { authorKind: kind as 'CUSTOMER', authorId: kind === 'AGENT' ? (agent?.id ?? null) : null, text });
      }
      if (s.status === 'QUEUED' || s.status === 'ASSIGNED') {
        // Some demo conversations led to tickets: asked for the way escalateToTicket does, by event.
        const em = app.orm.em.fork();
        emitEvent(em, 'conversation.escalated', tenantId, {
          conversationId: conversation.id,
          subject: `${s.lines[0]![1]} (from ${s.channel})`,
          description: s.lines.map(([k, t]) => `${k}: ${t}`).join('\n'),
          priority: 'HIGH',
          category: null,
          requesterName: s.contact,
          requesterEmail: `${s.contact.split(' ')[0]!.toLowerCase()}@example.com`,
          byUserId: null,
        });
        await em.flush();
      }
      if (s.status !== 'BOT') {
        const assigned = s.status === 'ASSIGNED' || s.status === 'RESOLVED';
        const current = (await app.store.getConversation(tenantId, conversation.id))!;
        await app.store.updateConversation(tenantId, conversation.id, current.version, { status: s.status, assigneeId: assigned ? (agent?.id ?? null) : null });
      }
    }
  }
  return { seeded };
}
