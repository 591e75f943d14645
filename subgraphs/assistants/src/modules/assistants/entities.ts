import { Entity, Filter, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';

/** What a customer's wish for a human, low confidence, a long bot dialogue or a blocked topic does. */
export interface HandoffRules {
  /** "I want a human" (in any demo locale) hands off at once. */
  onRequest: boolean;
  /** Answers below this confidence (0–1) hand off instead of being sent. */
  minConfidence: number;
  /** After this many bot answers in one conversation, the next customer message goes to a human. */
  maxBotTurns: number;
  /** Words or phrases that always go to a human (e.g. "refund", "legal"). */
  blockedTopics: string[];
}

export const DEFAULT_HANDOFF: HandoffRules = { onRequest: true, minConfidence: 0.35, maxBotTurns: 6, blockedTopics: [] };

/** The configuration every version carries (an edit is a new version). */
export interface AssistantConfig {
  name: string;
  instructions: string;
  knowledgeTags: string[];
  channels: string[];
  /** A routing strategy of the models subgraph for this assistant; null: the tenant's policy. */
  routing: string | null;
  handoff: HandoffRules;
}

/** An assistant: its latest configuration, which version answers, and the rollout of a candidate. */
@Entity({ tableName: 'assistant' })
@Filter(tenantFilter)
export class Assistant extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'active' | 'candidateVersion' | 'candidateShare' | 'updatedAt';

  @Property({ type: 'text' }) name!: string;
  @Property({ type: 'text' }) instructions!: string;
  @Property({ type: 'text[]' }) knowledgeTags!: string[];
  @Property({ type: 'text[]' }) channels!: string[];
  @Property({ type: 'text', nullable: true }) routing!: string | null;
  @Property({ type: 'jsonb' }) handoff!: HandoffRules;
  /** The newest version (each edit adds one). */
  @Property({ type: 'int' }) latestVersion!: number;
  /** The version new conversations get (outside a rollout's share). */
  @Property({ type: 'int' }) activeVersion!: number;
  /** The tenant's assistant on its channels (at most one active per channel). */
  @Property({ type: 'boolean' }) active: boolean = false;
  @Property({ type: 'int', nullable: true }) candidateVersion: number | null = null;
  @Property({ type: 'int' }) candidateShare: number = 0;
  @Property({ type: 'timestamptz' }) updatedAt: Date = new Date();
}

/** One version of an assistant: immutable once written. */
@Entity({ tableName: 'assistant_version' })
@Filter(tenantFilter)
export class AssistantVersion {
  [OptionalProps]?: 'createdAt';
  @PrimaryKey({ type: 'uuid' }) assistantId!: string;
  @PrimaryKey({ type: 'int' }) version!: number;
  @Property({ type: 'uuid' }) tenantId!: string;
  @Property({ type: 'jsonb' }) config!: AssistantConfig;
  @Property({ type: 'timestamptz' }) createdAt: Date = new Date();
}

/** A conversation the assistant took: the version it keeps, its bot turns, and how it ended. */
@Entity({ tableName: 'assistant_conversation' })
@Filter(tenantFilter)
export class AssistantConversation {
  [OptionalProps]?: 'botTurns' | 'handedOff' | 'handoffReason' | 'handoffSummary' | 'resolvedByBot' | 'costUsd' | 'csat' | 'startedAt' | 'suggestion';
  @PrimaryKey({ type: 'uuid' }) conversationId!: string;
  @Property({ type: 'uuid' }) tenantId!: string;
  @Index() @Property({ type: 'uuid', nullable: true }) assistantId!: string | null;
  @Property({ type: 'int', nullable: true }) version!: number | null;
  @Property({ type: 'int' }) botTurns: number = 0;
  @Property({ type: 'boolean' }) handedOff: boolean = false;
  @Property({ type: 'text', nullable: true }) handoffReason: string | null = null;
  @Property({ type: 'text', nullable: true }) handoffSummary: string | null = null;
  @Property({ type: 'boolean' }) resolvedByBot: boolean = false;
  @Property({ type: 'double' }) costUsd: number = 0;
  @Property({ type: 'int', nullable: true }) csat: number | null = null;
  /** For human agents: a reply and articles computed from the latest customer message. */
  @Property({ type: 'jsonb', nullable: true }) suggestion: Suggestion | null = null;
  @Property({ type: 'timestamptz' }) startedAt: Date = new Date();
}

export interface Citation {
  articleId: string;
  version: number;
  title: string;
}

export interface Suggestion {
  reply: string;
  articles: { articleId: string; version: number; title: string; snippet: string; score: number }[];
  basedOnMessageId: string;
  model: string;
  at: string;
}

/** The bot's answer to one customer message: how it was made (Message.aiTurn). */
@Entity({ tableName: 'ai_turn' })
@Filter(tenantFilter)
export class AiTurn {
  [OptionalProps]?: 'createdAt' | 'posted';
  /** The idempotency key of the BOT message it posts (`assistant:<event id>`): Message.aiTurn finds it by that key. */
  @PrimaryKey({ type: 'text' }) key!: string;
  /** Written before the message is posted (so the turn resolves as soon as the message is live); true once it was. */
  @Property({ type: 'boolean' }) posted: boolean = false;
  @Property({ type: 'uuid' }) tenantId!: string;
  @Index() @Property({ type: 'uuid' }) conversationId!: string;
  @Property({ type: 'uuid' }) assistantId!: string;
  @Property({ type: 'int' }) assistantVersion!: number;
  /** The customer message it answered. */
  @Property({ type: 'uuid' }) replyTo!: string;
  @Property({ type: 'text' }) model!: string;
  @Property({ type: 'double' }) confidence!: number;
  @Property({ type: 'boolean' }) cacheHit!: boolean;
  @Property({ type: 'double' }) costUsd!: number;
  @Property({ type: 'int' }) inputTokens!: number;
  @Property({ type: 'int' }) outputTokens!: number;
  @Property({ type: 'jsonb' }) citations!: Citation[];
  @Property({ type: 'timestamptz' }) createdAt: Date = new Date();
}

/** How a new ticket was triaged (Ticket.triage). */
@Entity({ tableName: 'ticket_triage' })
@Filter(tenantFilter)
export class TicketTriage {
  [OptionalProps]?: 'createdAt';
  @PrimaryKey({ type: 'uuid' }) ticketId!: string;
  @Property({ type: 'uuid' }) tenantId!: string;
  @Property({ type: 'text', nullable: true }) category!: string | null;
  @Property({ type: 'text', nullable: true }) priority!: string | null;
  @Property({ type: 'double' }) confidence!: number;
  @Property({ type: 'text' }) decidedBy!: 'CLASSIFIER' | 'MODEL';
  /** False when the ticket could not be updated (e.g. it changed meanwhile). */
  @Property({ type: 'boolean' }) applied!: boolean;
  @Property({ type: 'timestamptz' }) createdAt: Date = new Date();
}

/** A tenant's trained triage classifier (naive Bayes counts), and how many labels it has seen. */
@Entity({ tableName: 'triage_model' })
@Filter(tenantFilter)
export class TriageModelRow {
  [OptionalProps]?: 'labelledSince' | 'trainedAt';
  @PrimaryKey({ type: 'uuid' }) tenantId!: string;
  @Property({ type: 'jsonb' }) model!: unknown;
  @Property({ type: 'int' }) trainedOn!: number;
  /** Labelled tickets seen since the last training (ticket.created/updated with a category). */
  @Property({ type: 'int' }) labelledSince: number = 0;
  @Property({ type: 'timestamptz' }) trainedAt: Date = new Date();
}

export const entities = [Assistant, AssistantVersion, AssistantConversation, AiTurn, TicketTriage, TriageModelRow];
