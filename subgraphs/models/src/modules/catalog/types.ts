import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ProviderKind {
  OPENAI = 'OPENAI',
  AZURE_OPENAI = 'AZURE_OPENAI',
  OPENAI_COMPATIBLE = 'OPENAI_COMPATIBLE',
  LOCAL = 'LOCAL',
}
export enum ModelPurpose {
  CHAT = 'CHAT',
  EMBEDDING = 'EMBEDDING',
}
export enum RoutingStrategy {
  CHEAPEST = 'CHEAPEST',
  FASTEST = 'FASTEST',
  BEST_QUALITY = 'BEST_QUALITY',
  ORDERED = 'ORDERED',
}
export enum MessageRole {
  SYSTEM = 'SYSTEM',
  USER = 'USER',
  ASSISTANT = 'ASSISTANT',
}
export enum CompletionPriority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
export enum AttemptOutcome {
  OK = 'OK',
  ERROR = 'ERROR',
  RATE_LIMITED = 'RATE_LIMITED',
  TIMEOUT = 'TIMEOUT',
  CIRCUIT_OPEN = 'CIRCUIT_OPEN',
  OVER_BUDGET = 'OVER_BUDGET',
}
export enum BreakerState {
  CLOSED = 'CLOSED',
  OPEN = 'OPEN',
  HALF_OPEN = 'HALF_OPEN',
}
export enum UsageGroupBy {
  DAY = 'DAY',
  MODEL = 'MODEL',
  PROVIDER = 'PROVIDER',
  ASSISTANT = 'ASSISTANT',
}

registerEnumType(ProviderKind, { name: 'ProviderKind', description: 'How the gateway talks to a provider: OpenAI, Azure OpenAI, any OpenAI-compatible server, or the built-in offline LOCAL one.' });
registerEnumType(ModelPurpose, { name: 'ModelPurpose', description: 'What a model is for.' });
registerEnumType(RoutingStrategy, { name: 'RoutingStrategy', description: 'How the router orders the models it may use.' });
registerEnumType(MessageRole, { name: 'MessageRole' });
registerEnumType(CompletionPriority, { name: 'CompletionPriority', description: 'The work’s priority: URGENT never falls back to a model cheaper than the first choice.' });
registerEnumType(AttemptOutcome, { name: 'AttemptOutcome', description: 'What happened to one try of one model.' });
registerEnumType(BreakerState, { name: 'BreakerState', description: 'A model’s circuit breaker: CLOSED (calls go through), OPEN (skipped), HALF_OPEN (the next call probes it).' });
registerEnumType(UsageGroupBy, { name: 'UsageGroupBy' });

@ObjectType({ description: 'A model provider: the tenant’s own (bring your own key) or the platform’s. Its API key is never readable.' })
export class Provider {
  @Field(() => ID)
  id!: string;
  @Field()
  name!: string;
  @Field(() => ProviderKind)
  kind!: ProviderKind;
  @Field(() => String, { nullable: true, description: 'The OpenAI-compatible base URL (…/v1); null for LOCAL and OpenAI’s default.' })
  baseUrl!: string | null;
  @Field({ description: 'Whether an API key is stored (the key itself never leaves the models subgraph).' })
  hasApiKey!: boolean;
  @Field(() => Int)
  timeoutMs!: number;
  @Field({ description: 'Declared by the operator for every tenant (read-only to tenants).' })
  platform!: boolean;
  @Field()
  createdAt!: Date;
}

@ObjectType()
export class ModelHealth {
  @Field(() => BreakerState)
  state!: BreakerState;
  @Field(() => Int)
  consecutiveFailures!: number;
  @Field(() => String, { nullable: true, description: 'The last failure, as an outcome (e.g. "HTTP 503", "timed out"); never a provider’s message.' })
  lastError!: string | null;
}

@ObjectType({ description: 'A model as its provider knows it, with its prices and health in this process.' })
export class Model {
  @Field(() => ID)
  id!: string;
  @Field(() => Provider)
  provider!: Provider;
  @Field({ description: 'The name the provider knows it by (sent as `model`).' })
  name!: string;
  @Field(() => ModelPurpose)
  purpose!: ModelPurpose;
  @Field(() => Int)
  contextWindow!: number;
  @Field(() => Float, { description: 'USD per 1,000 input tokens.' })
  inputPricePer1K!: number;
  @Field(() => Float, { description: 'USD per 1,000 output tokens.' })
  outputPricePer1K!: number;
  @Field(() => Int, { description: 'Higher is better (BEST_QUALITY picks the highest).' })
  quality!: number;
  @Field()
  platform!: boolean;
  @Field(() => ModelHealth)
  health!: ModelHealth;
}

@ObjectType({ description: 'How the tenant’s requests are routed, cached and budgeted.' })
export class RoutingPolicy {
  @Field(() => RoutingStrategy)
  strategy!: RoutingStrategy;
  @Field(() => [ID], { description: 'The models it may use (ids); empty: every configured chat model.' })
  chain!: string[];
  @Field(() => Float, { nullable: true })
  maxCostPerRequestUsd!: number | null;
  @Field(() => Int)
  cacheTtlSeconds!: number;
  @Field(() => Float, { nullable: true })
  monthlyBudgetUsd!: number | null;
  @Field(() => Float, { description: 'Spent (and reserved) this calendar month (UTC), USD.' })
  spentThisMonthUsd!: number;
}

@ObjectType()
export class CompletionUsage {
  @Field(() => Int)
  inputTokens!: number;
  @Field(() => Int)
  outputTokens!: number;
  @Field(() => Float)
  costUsd!: number;
}

@ObjectType({ description: 'One try of one model.' })
export class CompletionAttempt {
  @Field()
  model!: string;
  @Field(() => AttemptOutcome)
  outcome!: AttemptOutcome;
  @Field(() => Int, { nullable: true })
  httpStatus!: number | null;
  @Field(() => Int)
  latencyMs!: number;
}

@ObjectType()
export class Completion {
  @Field()
  text!: string;
  @Field({ description: 'The model that answered (its provider name).' })
  model!: string;
  @Field({ description: 'Answered from the response cache: no provider call, zero cost.' })
  cacheHit!: boolean;
  @Field(() => Int, { description: 'How many PII values were replaced by placeholders before any provider saw the request.' })
  piiMasked!: number;
  @Field(() => CompletionUsage)
  usage!: CompletionUsage;
  @Field(() => [CompletionAttempt])
  attempts!: CompletionAttempt[];
}

@ObjectType({ description: 'What `complete` would do, without calling anything.' })
export class RoutingSimulation {
  @Field(() => Model, { nullable: true, description: 'The model it would try first (null: none available).' })
  model!: Model | null;
  @Field(() => [Model], { description: 'The whole fallback chain, in order.' })
  chain!: Model[];
  @Field(() => Int)
  inputTokens!: number;
  @Field(() => Float, { description: 'For the first model, with maxTokens of output.' })
  estimatedCostUsd!: number;
}

@ObjectType({ description: 'Usage over a period; the dimensions not grouped by are null.' })
export class UsageRow {
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD (UTC).' })
  day!: string | null;
  @Field(() => String, { nullable: true })
  model!: string | null;
  @Field(() => String, { nullable: true })
  provider!: string | null;
  @Field(() => String, { nullable: true, description: 'Who called: "api" for `complete`, else the calling service’s feature (e.g. "knowledge").' })
  assistant!: string | null;
  @Field(() => Int)
  calls!: number;
  @Field(() => Float)
  inputTokens!: number;
  @Field(() => Float)
  outputTokens!: number;
  @Field(() => Float)
  costUsd!: number;
  @Field(() => Int)
  cacheHits!: number;
  @Field(() => Int)
  piiMasked!: number;
}

@InputType()
export class ProviderInput {
  @Field()
  name!: string;
  @Field(() => ProviderKind)
  kind!: ProviderKind;
  @Field(() => String, { nullable: true })
  baseUrl?: string | null;
  @Field(() => String, { nullable: true, description: 'Stored encrypted; never returned.' })
  apiKey?: string | null;
  @Field(() => Int, { nullable: true, description: 'Per call (default 30000).' })
  timeoutMs?: number | null;
}

@InputType({ description: 'Only the fields given change; apiKey "" removes the key.' })
export class ProviderUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => String, { nullable: true })
  baseUrl?: string | null;
  @Field(() => String, { nullable: true })
  apiKey?: string | null;
  @Field(() => Int, { nullable: true })
  timeoutMs?: number | null;
}

@InputType()
export class ModelInput {
  @Field(() => ID)
  providerId!: string;
  @Field()
  name!: string;
  @Field(() => ModelPurpose)
  purpose!: ModelPurpose;
  @Field(() => Int, { nullable: true })
  contextWindow?: number | null;
  @Field(() => Float)
  inputPricePer1K!: number;
  @Field(() => Float)
  outputPricePer1K!: number;
  @Field(() => Int, { nullable: true })
  quality?: number | null;
}

@InputType()
export class ModelUpdateInput {
  @Field(() => String, { nullable: true })
  name?: string | null;
  @Field(() => Int, { nullable: true })
  contextWindow?: number | null;
  @Field(() => Float, { nullable: true })
  inputPricePer1K?: number | null;
  @Field(() => Float, { nullable: true })
  outputPricePer1K?: number | null;
  @Field(() => Int, { nullable: true })
  quality?: number | null;
}

@InputType()
export class RoutingPolicyInput {
  @Field(() => RoutingStrategy)
  strategy!: RoutingStrategy;
  @Field(() => [ID], { nullable: true })
  chain?: string[] | null;
  @Field(() => Float, { nullable: true })
  maxCostPerRequestUsd?: number | null;
  @Field(() => Int, { nullable: true, description: 'Default 3600; 0 turns the response cache off.' })
  cacheTtlSeconds?: number | null;
  @Field(() => Float, { nullable: true })
  monthlyBudgetUsd?: number | null;
}

@InputType()
export class MessageInput {
  @Field(() => MessageRole)
  role!: MessageRole;
  @Field()
  content!: string;
}

@InputType()
export class CompleteInput {
  @Field(() => [MessageInput])
  messages!: MessageInput[];
  @Field(() => Int, { nullable: true })
  maxTokens?: number | null;
  @Field(() => Float, { nullable: true })
  temperature?: number | null;
  @Field(() => CompletionPriority, { nullable: true, defaultValue: CompletionPriority.NORMAL })
  priority?: CompletionPriority | null;
  @Field(() => Boolean, { nullable: true, defaultValue: true })
  cache?: boolean | null;
}

