import type { MikroORM } from '@mikro-orm/postgresql';
import type { Identity, Logger } from '@switchboard/kit';
import type { Express, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { SecretBox } from '../webhooks/signing';
import { ChannelConnector, ChannelConnectorStatus, ChannelThread, ConnectorChannel } from './connector.entity';
import type { ConversationsClient } from './conversations-client';
import { slackMessages, verifySlack, verifyWhatsApp, whatsAppMessages, type InboundMessage } from './providers';

const MAX_BODY = 1024 * 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function rawBody(req: Request): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) resolve(null);
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface InboundDeps {
  orm: MikroORM;
  secrets: SecretBox;
  conversations: ConversationsClient;
  clock: () => Date;
  logger: Logger;
}

const START = `mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { created } }`;

/**
 * `/inbound/<channel>/<connector id>`: what the gateway's `/webhooks/<channel>/<id>` proxies
 * here (raw body and the provider's headers, with the gateway's service identity). A bad
 * signature is 401 and nothing is stored; a good message becomes `startConversation` (first
 * message of a thread) and `sendMessage` as CUSTOMER with the provider's message id as
 * `idempotencyKey`, so a provider retry stores nothing new.
 */
export function inboundRoutes(app: Express, deps: InboundDeps): void {
  app.all('/inbound/:channel/:id', async (req: Request, res: Response) => {
    const identity = res.locals.identity as Identity | undefined;
    if (identity?.kind !== 'service') return void res.status(403).json({ error: 'inbound webhooks come through the gateway' });
    const channel = String(req.params.channel).toUpperCase();
    const id = String(req.params.id);
    const em = deps.orm.em.fork();
    const connector = UUID.test(id) ? await em.findOne(ChannelConnector, { id }, { filters: false }) : null;
    if (!connector || connector.channel !== channel || connector.status !== ChannelConnectorStatus.ACTIVE) return void res.status(404).json({ error: 'no such connector' });
    const appSecret = deps.secrets.open(connector.appSecretSealed);

    if (connector.channel === ConnectorChannel.WHATSAPP && req.method === 'GET') {
      // The Cloud API's subscription handshake.
      const q = req.query as Record<string, string | undefined>;
      const token = connector.verifyTokenSealed ? deps.secrets.open(connector.verifyTokenSealed) : null;
      if (q['hub.mode'] === 'subscribe' && token && q['hub.verify_token'] && same(q['hub.verify_token'], token)) {
        return void res.status(200).type('text/plain').send(String(q['hub.challenge'] ?? ''));
      }
      return void res.status(403).json({ error: 'verification failed' });
    }
    if (req.method !== 'POST') return void res.status(405).end();
    const raw = await rawBody(req);
    if (!raw) return void res.status(413).json({ error: 'body too large' });

    let messages: InboundMessage[];
    if (connector.channel === ConnectorChannel.WHATSAPP) {
      if (!verifyWhatsApp(req.header('x-hub-signature-256'), appSecret, raw)) return void res.status(401).json({ error: 'bad signature' });
      messages = whatsAppMessages(parse(raw));
    } else {
      if (!verifySlack(req.header('x-slack-signature'), req.header('x-slack-request-timestamp'), appSecret, raw, deps.clock().getTime())) {
        return void res.status(401).json({ error: 'bad signature' });
      }
      const payload = parse(raw);
      if (payload?.type === 'url_verification') return void res.status(200).json({ challenge: String(payload.challenge ?? '') });
      messages = slackMessages(payload);
    }
    try {
      for (const m of messages) await store(deps, connector, m);
    } catch (error) {
      // The provider retries on non-2xx: the idempotency key makes that safe.
      deps.logger.warn('inbound message not stored; the provider will retry', { connectorId: connector.id, error });
      return void res.status(503).json({ error: 'try again' });
    }
    res.status(200).json({ ok: true });
  });
}

function parse(raw: Buffer): any {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return null;
  }
}

async function store(deps: InboundDeps, connector: ChannelConnector, m: InboundMessage): Promise<void> {
  const em = deps.orm.em.fork();
  em.setFilterParams('tenant', { tenantId: connector.tenantId });
  let thread = await em.findOne(ChannelThread, { connectorId: connector.id, externalThreadId: m.threadId });
  if (!thread) {
    const started = await deps.conversations.request<{ startConversation: { id: string } }>(connector.tenantId, connector.id, START, {
      input: { channel: connector.channel, contact: { name: m.contactName, phone: m.contactPhone, externalId: m.contactExternalId } },
    });
    const schema = deps.orm.config.get('schema');
    await em.getConnection().execute(
      `insert into "${schema}"."channel_thread" ("connector_id", "external_thread_id", "tenant_id", "conversation_id", "created_at") values (?, ?, ?, ?, ?) on conflict do nothing`,
      [connector.id, m.threadId, connector.tenantId, started.startConversation.id, deps.clock()],
    );
    em.clear();
    thread = await em.findOneOrFail(ChannelThread, { connectorId: connector.id, externalThreadId: m.threadId });
  }
  await deps.conversations.request(connector.tenantId, connector.id, SEND, {
    input: { conversationId: thread.conversationId, text: m.text, as: 'CUSTOMER', idempotencyKey: `${connector.channel.toLowerCase()}:${m.messageId}`.slice(0, 200) },
  });
}
