import { createHmac, timingSafeEqual } from 'node:crypto';

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** WhatsApp Cloud API: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>`. */
export function verifyWhatsApp(header: string | undefined, appSecret: string, raw: Buffer): boolean {
  if (!header?.startsWith('sha256=')) return false;
  return safeEqualHex(header, `sha256=${createHmac('sha256', appSecret).update(raw).digest('hex')}`);
}

/** Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>`, the timestamp within 5 minutes. */
export function verifySlack(signature: string | undefined, timestamp: string | undefined, signingSecret: string, raw: Buffer, nowMs: number): boolean {
  if (!signature?.startsWith('v0=') || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > 300) return false;
  const expected = `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:`).update(raw).digest('hex')}`;
  return safeEqualHex(signature, expected);
}

/** A customer's message as both providers have it. */
export interface InboundMessage {
  /** The provider's message id: what makes a provider retry store nothing new. */
  messageId: string;
  /** Who/where to reply: the WhatsApp sender (wa_id), the Slack channel. */
  threadId: string;
  text: string;
  contactName: string | null;
  contactPhone: string | null;
  contactExternalId: string;
}

/** The text messages of a WhatsApp `whatsapp_business_account` notification. */
export function whatsAppMessages(payload: any): InboundMessage[] {
  const out: InboundMessage[] = [];
  for (const entry of Array.isArray(payload?.entry) ? payload.entry : []) {
    for (const change of Array.isArray(entry?.changes) ? entry.changes : []) {
      const value = change?.value ?? {};
      const names = new Map<string, string>();
      for (const c of Array.isArray(value.contacts) ? value.contacts : []) if (c?.wa_id && c?.profile?.name) names.set(String(c.wa_id), String(c.profile.name));
      for (const m of Array.isArray(value.messages) ? value.messages : []) {
        if (m?.type !== 'text' || typeof m?.text?.body !== 'string' || !m.id || !m.from) continue;
        const from = String(m.from);
        out.push({ messageId: String(m.id), threadId: from, text: m.text.body, contactName: names.get(from) ?? null, contactPhone: `+${from}`, contactExternalId: from });
      }
    }
  }
  return out;
}

/** A Slack `event_callback` message from a person (bot messages and edits are skipped). */
export function slackMessages(payload: any): InboundMessage[] {
  const e = payload?.event;
  if (payload?.type !== 'event_callback' || e?.type !== 'message' || e.subtype || e.bot_id || typeof e.text !== 'string' || !e.channel || !e.user) return [];
  return [{ messageId: String(e.client_msg_id ?? payload.event_id ?? e.ts), threadId: String(e.channel), text: e.text, contactName: null, contactPhone: null, contactExternalId: String(e.user) }];
}
