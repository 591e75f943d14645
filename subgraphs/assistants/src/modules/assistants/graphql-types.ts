import { keyStub } from '@switchboard/kit';
import { Directive, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

/** The conversations subgraph's channels (the same enum, composed). */
export enum Channel {
  WEB = 'WEB',
  WHATSAPP = 'WHATSAPP',
  MESSENGER = 'MESSENGER',
  SLACK = 'SLACK',
  TEAMS = 'TEAMS',
  EMAIL = 'EMAIL',
  SMS = 'SMS',
  VOICE = 'VOICE',
}
registerEnumType(Channel, { name: 'Channel', description: 'Where a conversation happens.' });

/** The models subgraph's routing strategies (the same enum, composed). */
export enum RoutingStrategy {
  CHEAPEST = 'CHEAPEST',
  FASTEST = 'FASTEST',
  BEST_QUALITY = 'BEST_QUALITY',
  ORDERED = 'ORDERED',
}
registerEnumType(RoutingStrategy, { name: 'RoutingStrategy' });

/** The tickets subgraph's priorities (the same enum, composed). */
export enum TicketPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(TicketPriority, { name: 'TicketPriority' });

export enum TriageDecider {
  CLASSIFIER = 'CLASSIFIER',
  MODEL = 'MODEL',
}
registerEnumType(TriageDecider, { name: 'TriageDecider', description: 'Who decided a ticket’s triage: the tenant’s own classifier, or the routed model when the classifier was not confident.' });

@ObjectType({ description: 'When the assistant hands a conversation to a human.' })
export class HandoffPolicy {
  @Field({ description: 'A customer asking for a person ("I want a human", in English, German, Spanish or French) is handed off at once.' })
  onRequest!: boolean;
  @Field(() => Float, { description: 'Answers below this confidence (0–1: the share of the question’s words the best article covers) go to a human instead.' })
  minConfidence!: number;
  @Field(() => Int, { description: 'After this many bot answers, the next customer message goes to a human.' })
  maxBotTurns!: number;
  @Field(() => [String], { description: 'Topics people handle (whole words, case and accents ignored).' })
  blockedTopics!: string[];
}

@InputType()
export class HandoffInput {
  @Field({ nullable: true }) onRequest?: boolean;
  @Field(() => Float, { nullable: true }) minConfidence?: number;
  @Field(() => Int, { nullable: true }) maxBotTurns?: number;
  @Field(() => [String], { nullable: true }) blockedTopics?: string[];
}

@InputType({ description: 'An assistant’s whole configuration: every create or update is a new version.' })
export class AssistantInput {
  @Field({ description: '1–120 characters.' }) name!: string;
  @Field({ description: 'How it should behave; up to 8,000 characters.' }) instructions!: string;
  @Field(() => [String], { nullable: true, description: 'Only articles with one of these tags are used (empty: the whole published help center).' })
  knowledgeTags?: string[];
  @Field(() => [Channel], { description: 'The channels it answers on once active.' })
  channels!: Channel[];
  @Field(() => RoutingStrategy, { nullable: true, description: 'How its model is chosen; null: the tenant’s routing policy.' })
  routing?: RoutingStrategy | null;
  @Field(() => HandoffInput, { nullable: true }) handoff?: HandoffInput;
}

@ObjectType({ description: 'How one version did, from the conversations it took.' })
export class AssistantStats {
  @Field(() => Int) conversations!: number;
  @Field(() => Int, { description: 'Resolved with no human taking part.' }) resolvedByBot!: number;
  @Field(() => Int, { description: 'Handed to a human (by the assistant or taken over).' }) handoffs!: number;
  @Field(() => Float, { nullable: true, description: 'Mean customer rating (1–5) of its rated conversations; null when none were rated.' }) csat!: number | null;
  @Field(() => Float, { description: 'Model spend on its answers (USD).' }) costUsd!: number;
}

@ObjectType()
export class AssistantCandidate {
  @Field(() => Int) version!: number;
  @Field(() => Int, { description: 'The share of new conversations (0–100) that get the candidate.' }) sharePercent!: number;
}

@ObjectType('AssistantVersion', { description: 'One version of an assistant (immutable).' })
export class AssistantVersionType {
  assistantId!: string;
  @Field(() => Int) version!: number;
  @Field() name!: string;
  @Field() instructions!: string;
  @Field(() => [String]) knowledgeTags!: string[];
  @Field(() => [Channel]) channels!: Channel[];
  @Field(() => RoutingStrategy, { nullable: true }) routing!: RoutingStrategy | null;
  @Field(() => HandoffPolicy) handoff!: HandoffPolicy;
  @Field() createdAt!: Date;
}

@ObjectType('Assistant', { description: 'A bot that answers customers from the tenant’s knowledge and hands off to people.' })
@Directive('@key(fields: "id")')
export class AssistantType {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() instructions!: string;
  @Field(() => [String]) knowledgeTags!: string[];
  @Field(() => [Channel]) channels!: Channel[];
  @Field(() => RoutingStrategy, { nullable: true }) routing!: RoutingStrategy | null;
  @Field(() => HandoffPolicy) handoff!: HandoffPolicy;
  @Field({ description: 'The tenant’s assistant on its channels.' }) active!: boolean;
  @Field(() => Int, { description: 'The newest version (its configuration is the fields above).' }) latestVersion!: number;
  @Field(() => Int, { description: 'The version new conversations get (outside a rollout’s share).' }) activeVersion!: number;
  @Field() createdAt!: Date;
  @Field() updatedAt!: Date;
  candidateVersion!: number | null;
  candidateShare!: number;
}

/** knowledge's Article, as far as the assistant knows it: its key. */
export const Article = keyStub('Article');
/** tickets' Ticket: its key. */
export const Ticket = keyStub('Ticket');
/** conversations' Conversation: its key. */
export const Conversation = keyStub('Conversation');

@ObjectType('Message')
@Directive('@key(fields: "id")')
export class MessageRef {
  @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true })
  @Directive('@external')
  idempotencyKey!: string | null;
}

@ObjectType('AiCitation', { description: 'An article version an answer was built from.' })
export class AiCitation {
  articleId!: string;
  @Field(() => Int, { description: 'The version of the article the answer quoted.' }) version!: number;
  @Field({ description: 'The article’s title at that version.' }) title!: string;
}

@ObjectType('AiTurn', { description: 'How the bot made one answer.' })
export class AiTurnType {
  assistantId!: string;
  @Field(() => Int) assistantVersion!: number;
  @Field({ description: 'The model that answered (after routing and fallback).' }) model!: string;
  @Field(() => Float, { description: '0–1: the share of the question’s words the best article covers.' }) confidence!: number;
  @Field() cacheHit!: boolean;
  @Field(() => Float) costUsd!: number;
  @Field(() => [AiCitation]) citations!: AiCitation[];
  @Field() createdAt!: Date;
}

@ObjectType('SuggestedArticle', { description: 'An article for the agent, ranked for the latest customer message.' })
export class SuggestedArticle {
  articleId!: string;
  @Field(() => Int) version!: number;
  @Field() title!: string;
  @Field() snippet!: string;
  @Field(() => Float) score!: number;
}

@ObjectType('TicketTriage', { description: 'How a new ticket without a category was triaged.' })
export class TicketTriageType {
  @Field(() => String, { nullable: true, description: 'The category it was given (null: neither the classifier nor the model knew).' }) category!: string | null;
  @Field(() => TicketPriority, { nullable: true }) priority!: TicketPriority | null;
  @Field(() => Float) confidence!: number;
  @Field(() => TriageDecider) decidedBy!: TriageDecider;
  @Field({ description: 'False when the ticket had changed meanwhile and was left as the person set it.' }) applied!: boolean;
  @Field() createdAt!: Date;
}
