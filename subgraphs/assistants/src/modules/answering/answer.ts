import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError, contentWords, emitEvent, TENANT_FILTER, type DomainEvent, type EntityManager, type Logger } from '@switchboard/kit';
import { createHash } from 'node:crypto';
import type { Platform } from '../../clients';
import type { AssistantsConfig } from '../../env';
import { AiTurn, Assistant, AssistantConversation, AssistantVersion, type AssistantConfig, type Citation } from '../assistants/entities';
import { asksForHuman, blockedTopicIn, coverage, detectLocale, handoffSummary } from './language';
import { retrieve, type Hit } from './retrieval';

export interface AnswerDeps {
  orm: MikroORM;
  platform: Platform;
  config: AssistantsConfig;
  log: Logger;
}

interface TranscriptMessage {
  id: string;
  authorKind: 'CUSTOMER' | 'AGENT' | 'BOT' | 'SYSTEM';
  text: string;
}

interface ConversationView {
  id: string;
  status: string;
  channel: string;
  messages: { nodes: TranscriptMessage[] };
}

const READ_CONVERSATION = `query($id: ID!, $n: Int!) { conversation(id: $id) { id status channel messages(last: $n) { nodes { id authorKind text } } } }`;
const SEND_BOT = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { created message { id } } }`;
const HANDOFF = `mutation($id: ID!, $reason: String!) { handoffToHuman(id: $id, reason: $reason) { id status } }`;

/** The idempotency key of the bot's answer to one event: a redelivered event posts nothing new. */
export const answerKey = (eventId: string) => `assistant:${eventId}`;

const tenantEm = (orm: MikroORM, tenantId: string): EntityManager => {
  const em = orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  return em as unknown as EntityManager;
};

/** Which version a new conversation gets: the candidate for `sharePercent` of conversations (stable by conversation id), else the active one. */
export function pickVersion(assistant: Pick<Assistant, 'activeVersion' | 'candidateVersion' | 'candidateShare'>, conversationId: string): number {
  if (assistant.candidateVersion == null || assistant.candidateShare <= 0) return assistant.activeVersion;
  const bucket = createHash('sha256').update(conversationId).digest().readUInt32BE(0) % 100;
  return bucket < assistant.candidateShare ? assistant.candidateVersion : assistant.activeVersion;
}

/** The tenant's active assistant for a channel, if any. */
async function activeFor(em: EntityManager, tenantId: string, channel: string): Promise<Assistant | null> {
  const active = await em.find(Assistant, { tenantId, active: true }, { orderBy: { updatedAt: 'desc' } });
  return active.find((a) => a.channels.includes(channel)) ?? null;
}

/**
 * One customer message (`message.sent`, CUSTOMER). In a BOT conversation the tenant's active
 * assistant on that channel answers it — or hands off; in a human conversation it leaves a
 * suggested reply and articles for the agent. Safe to run twice for one event: the answer
 * is posted with the event's idempotency key and its turn is recorded once.
 */
export async function onCustomerMessage(deps: AnswerDeps, event: DomainEvent): Promise<void> {
  const { orm, platform, config } = deps;
  const tenantId = event.tenantId;
  const data = event.data as { id?: string; conversationId?: string; authorKind?: string };
  if (data.authorKind !== 'CUSTOMER' || !data.conversationId || !data.id) return;
  const em = tenantEm(orm, tenantId);
  if (await em.count(AiTurn, { tenantId, replyTo: data.id, posted: true })) return; // answered already

  const { conversation } = await platform.conversations<{ conversation: ConversationView }>(tenantId, READ_CONVERSATION, {
    id: data.conversationId,
    n: config.ASSISTANT_TRANSCRIPT_MESSAGES,
  });
  const transcript = conversation.messages.nodes;
  const message = transcript.find((m) => m.id === data.id);
  if (!message) return; // older than the transcript window: a newer message is being answered
  if (conversation.status === 'BOT') return answer(deps, em, event, conversation, message, transcript);
  if (conversation.status === 'QUEUED' || conversation.status === 'ASSIGNED') return suggest(deps, em, tenantId, conversation, message, transcript);
}

async function answer(deps: AnswerDeps, em: EntityManager, event: DomainEvent, conversation: ConversationView, message: TranscriptMessage, transcript: TranscriptMessage[]): Promise<void> {
  const { platform, config } = deps;
  const tenantId = event.tenantId;
  let state = await em.findOne(AssistantConversation, { conversationId: conversation.id });
  if (!state) {
    const assistant = await activeFor(em, tenantId, conversation.channel);
    if (!assistant) return; // no assistant on this channel: the conversation waits in BOT for a person to take it
    await em.getConnection().execute(
      `insert into "${deps.orm.config.get('schema')}"."assistant_conversation" ("conversation_id", "tenant_id", "assistant_id", "version", "started_at") values (?, ?, ?, ?, now()) on conflict do nothing`,
      [conversation.id, tenantId, assistant.id, pickVersion(assistant, conversation.id)],
    );
    state = await em.findOneOrFail(AssistantConversation, { conversationId: conversation.id });
  }
  if (state.handedOff || !state.assistantId || state.version == null) return;
  const version = await em.findOne(AssistantVersion, { assistantId: state.assistantId, version: state.version });
  if (!version) return;
  const rules = version.config;
  const cited = async () => (await em.find(AiTurn, { conversationId: conversation.id }, { orderBy: { createdAt: 'asc' } })).flatMap((t) => t.citations.map((c) => `${c.title} (v${c.version})`));
  const handoff = async (reason: string) => {
    state!.handedOff = true;
    state!.handoffReason = reason;
    state!.handoffSummary = handoffSummary({ customerMessages: transcript.filter((m) => m.authorKind === 'CUSTOMER').map((m) => m.text), cited: await cited(), botTurns: state!.botTurns, reason });
    await em.flush(); // the summary is there before the conversation shows up in the queue
    try {
      await platform.conversations(event.tenantId, HANDOFF, { id: conversation.id, reason });
    } catch (error) {
      if (!(error instanceof AppError && error.extensions.code === 'INVALID_TRANSITION')) throw error; // a person took it meanwhile
    }
  };

  if (rules.handoff.onRequest && asksForHuman(message.text)) return handoff('the customer asked for a human');
  const topic = blockedTopicIn(message.text, rules.handoff.blockedTopics);
  if (topic) return handoff(`the topic “${topic}” is handled by people`);
  if (state.botTurns >= rules.handoff.maxBotTurns) return handoff(`the assistant had answered ${state.botTurns} times (maxBotTurns ${rules.handoff.maxBotTurns})`);

  const hits = await retrieve(platform, tenantId, message.text, { tags: rules.knowledgeTags, locale: detectLocale(message.text), first: config.ASSISTANT_RETRIEVAL_HITS });
  const confidence = hits.length ? Math.max(...hits.slice(0, 2).map((h) => coverage(message.text, `${h.title} ${h.snippet}`))) : 0;
  if (confidence < rules.handoff.minConfidence) return handoff(`low confidence (${confidence.toFixed(2)} < ${rules.handoff.minConfidence})`);

  let completion;
  try {
    completion = await platform.models.complete(tenantId, { messages: prompt(rules, transcript, message, hits), maxTokens: 400, temperature: 0.2, strategy: (rules.routing ?? undefined) as never }, 'assistant');
  } catch (error) {
    const code = error instanceof AppError ? error.extensions.code : undefined;
    if (code === 'QUOTA_EXCEEDED') return handoff('the AI budget is exhausted');
    if (code === 'UPSTREAM_UNAVAILABLE' || code === 'BAD_USER_INPUT') return handoff('no model could answer');
    throw error;
  }
  // The prompt's source headers ("[1] Title (version 3)") are for the model, not the customer.
  const text = completion.text.replace(/\[\d+\] [^\n]*?\(version \d+\)\s*/g, '').trim() || completion.text;
  const citations = citationsOf(text, hits);
  const key = answerKey(event.id);
  // The turn is written before the message is posted, keyed by the message's idempotency key,
  // so `Message.aiTurn` resolves as soon as subscribers see the message.
  const turn = em.create(AiTurn, {
    key,
    tenantId,
    conversationId: conversation.id,
    assistantId: state.assistantId,
    assistantVersion: state.version,
    replyTo: message.id,
    model: completion.model,
    confidence: Math.round(confidence * 1000) / 1000,
    cacheHit: completion.cacheHit,
    costUsd: completion.usage.costUsd,
    inputTokens: completion.usage.inputTokens,
    outputTokens: completion.usage.outputTokens,
    citations,
  });
  await em.upsert(turn);
  const sent = await platform.conversations<{ sendMessage: { created: boolean; message: { id: string } } }>(tenantId, SEND_BOT, {
    input: { conversationId: conversation.id, text, as: 'BOT', idempotencyKey: key, metadata: { assistantId: state.assistantId, assistantVersion: state.version } },
  });
  if (!sent.sendMessage.created) {
    await em.nativeUpdate(AiTurn, { key }, { posted: true }); // posted by an earlier delivery of this event
    return;
  }
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(AiTurn, { key }, { posted: true });
    await tx.nativeUpdate(AssistantConversation, { conversationId: conversation.id }, { botTurns: state!.botTurns + 1, costUsd: state!.costUsd + completion.usage.costUsd });
    emitEvent(tx as unknown as EntityManager, 'ai.usage', tenantId, {
      conversationId: conversation.id,
      assistantId: state!.assistantId,
      assistantVersion: state!.version,
      model: completion.model,
      inputTokens: completion.usage.inputTokens,
      outputTokens: completion.usage.outputTokens,
      costUsd: completion.usage.costUsd,
      cacheHit: completion.cacheHit,
    });
  });
}

/** Instructions, the knowledge (numbered, with article and version), the recent transcript, the question last. */
export function prompt(rules: AssistantConfig, transcript: TranscriptMessage[], message: TranscriptMessage, hits: Hit[]) {
  const knowledge = hits.map((h, i) => `[${i + 1}] ${h.title} (version ${h.version})\n${h.snippet}`).join('\n\n');
  const earlier = transcript
    .filter((m) => m.id !== message.id && (m.authorKind === 'CUSTOMER' || m.authorKind === 'BOT' || m.authorKind === 'AGENT'))
    .map((m) => ({ role: m.authorKind === 'CUSTOMER' ? ('USER' as const) : ('ASSISTANT' as const), content: m.text }));
  return [
    { role: 'SYSTEM' as const, content: `${rules.instructions}\nAnswer only from the knowledge below; when it does not cover the question, say so.` },
    { role: 'SYSTEM' as const, content: `Knowledge:\n${knowledge}` },
    ...earlier,
    { role: 'USER' as const, content: message.text },
  ];
}

/** The retrieved articles the answer draws on (words in common), the best hit at least. */
export function citationsOf(answer: string, hits: Hit[]): Citation[] {
  const words = new Set(contentWords(answer));
  const used = hits.filter((h) => contentWords(h.snippet).some((w) => words.has(w)));
  const chosen = (used.length ? used : hits.slice(0, 1)).slice(0, 3);
  return chosen.map((h) => ({ articleId: h.articleId, version: h.version, title: h.title }));
}

/** For the human agent: a drafted reply and the articles it comes from, for the latest customer message. */
async function suggest(deps: AnswerDeps, em: EntityManager, tenantId: string, conversation: ConversationView, message: TranscriptMessage, transcript: TranscriptMessage[]): Promise<void> {
  const { platform, config } = deps;
  const state = await em.findOne(AssistantConversation, { conversationId: conversation.id });
  const assistant = state?.assistantId ? await em.findOne(Assistant, { id: state.assistantId }) : await activeFor(em, tenantId, conversation.channel);
  const rules: AssistantConfig = assistant
    ? { name: assistant.name, instructions: assistant.instructions, knowledgeTags: assistant.knowledgeTags, channels: assistant.channels, routing: assistant.routing, handoff: assistant.handoff }
    : { name: 'suggestions', instructions: 'You draft replies for a customer-service agent.', knowledgeTags: [], channels: [], routing: null, handoff: { onRequest: false, minConfidence: 0, maxBotTurns: 0, blockedTopics: [] } };
  const hits = await retrieve(platform, tenantId, message.text, { tags: rules.knowledgeTags, locale: detectLocale(message.text), first: config.ASSISTANT_RETRIEVAL_HITS });
  let reply = '';
  let model = '';
  if (hits.length) {
    try {
      const completion = await platform.models.complete(tenantId, { messages: prompt({ ...rules, instructions: `${rules.instructions}\nDraft the agent's next reply to the customer.` }, transcript, message, hits), maxTokens: 300, temperature: 0.2 }, 'assistant.suggest');
      reply = completion.text;
      model = completion.model;
    } catch (error) {
      if (!(error instanceof AppError)) throw error; // no suggestion this time (budget, no model): the agent writes their own
      deps.log.info('no suggested reply', { code: error.extensions.code, conversationId: conversation.id });
    }
  }
  const suggestion = { reply, model, basedOnMessageId: message.id, at: new Date().toISOString(), articles: hits.map((h) => ({ articleId: h.articleId, version: h.version, title: h.title, snippet: h.snippet, score: h.score })) };
  await em.getConnection().execute(
    `insert into "${deps.orm.config.get('schema')}"."assistant_conversation" ("conversation_id", "tenant_id", "assistant_id", "version", "started_at", "suggestion")
     values (?, ?, null, null, now(), ?::jsonb) on conflict ("conversation_id") do update set "suggestion" = excluded."suggestion" where "assistant_conversation"."tenant_id" = excluded."tenant_id"`,
    [conversation.id, tenantId, JSON.stringify(suggestion)],
  );
}
