import type { MikroORM } from '@mikro-orm/postgresql';
import type { DomainEvent, EventConsumer, Logger } from '@switchboard/kit';
import type { SecretBox } from '../webhooks/signing';
import { ChannelConnector, ChannelThread, ConnectorChannel } from './connector.entity';
import type { ConversationsClient } from './conversations-client';

export const CHANNEL_REPLIES_GROUP = 'integrations.channel-replies';

export interface ProviderApis {
  whatsAppBaseUrl: string;
  slackBaseUrl: string;
  timeoutMs: number;
}

const MESSAGES = `query($id: ID!) { conversation(id: $id) { messages(last: 50) { nodes { id text authorKind } } } }`;

/**
 * Agent and bot replies in a conversation that came in through a channel connector go back
 * out through the provider's send API (WhatsApp Cloud API `/<phone number id>/messages`,
 * Slack `chat.postMessage`). Sent once per message id: the send happens before the event is
 * marked processed (no transaction is held across the network), so a crash in between may
 * send one reply twice, never lose one.
 */
export function consumeChannelReplies(orm: MikroORM, events: EventConsumer, deps: { secrets: SecretBox; conversations: ConversationsClient; apis: ProviderApis; logger: Logger }): () => Promise<void> {
  const schema = orm.config.get('schema');
  return events.consume(CHANNEL_REPLIES_GROUP, ['message.sent'], async (event: DomainEvent) => {
    const data = event.data as { id: string; conversationId: string; authorKind: string };
    if (data.authorKind !== 'AGENT' && data.authorKind !== 'BOT') return;
    const em = orm.em.fork();
    em.setFilterParams('tenant', { tenantId: event.tenantId });
    const thread = await em.findOne(ChannelThread, { tenantId: event.tenantId, conversationId: data.conversationId });
    if (!thread) return;
    const done = await em.getConnection().execute(`select 1 from "${schema}"."processed_event" where "consumer" = ? and "event_id" = ?`, [CHANNEL_REPLIES_GROUP, event.id]);
    if (done.length) return;
    const connector = await em.findOne(ChannelConnector, { id: thread.connectorId, tenantId: event.tenantId });
    if (!connector?.accessTokenSealed) return;
    const found = await deps.conversations.request<{ conversation: { messages: { nodes: { id: string; text: string }[] } } }>(event.tenantId, connector.id, MESSAGES, { id: data.conversationId });
    const message = found.conversation.messages.nodes.find((n) => n.id === data.id);
    if (!message) throw new Error(`message ${data.id} not found yet`);
    const token = deps.secrets.open(connector.accessTokenSealed);
    const [url, body] =
      connector.channel === ConnectorChannel.WHATSAPP
        ? [`${deps.apis.whatsAppBaseUrl}/v19.0/${encodeURIComponent(connector.externalAccountId)}/messages`, { messaging_product: 'whatsapp', recipient_type: 'individual', to: thread.externalThreadId, type: 'text', text: { body: message.text } }]
        : [`${deps.apis.slackBaseUrl}/api/chat.postMessage`, { channel: thread.externalThreadId, text: message.text }];
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(deps.apis.timeoutMs),
    });
    const answer = (await res.json().catch(() => ({}))) as { ok?: boolean; error?: string };
    if (!res.ok || (connector.channel === ConnectorChannel.SLACK && answer.ok === false)) throw new Error(`${connector.channel} send API answered ${res.status} ${answer.error ?? ''}`);
    await em.getConnection().execute(`insert into "${schema}"."processed_event" ("consumer", "event_id", "processed_at") values (?, ?, now()) on conflict do nothing`, [CHANNEL_REPLIES_GROUP, event.id]);
    deps.logger.info('channel reply sent', { tenantId: event.tenantId, conversationId: data.conversationId, channel: connector.channel });
  }, { maxAttempts: 8 });
}
