import { authorize, stubReferences } from '@switchboard/kit';
import { Arg, Ctx, Directive, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AssistantsContext } from '../../context';
import type { Assistant, AssistantVersion } from './entities';
import {
  activateAssistant,
  createAssistant,
  deactivateAssistant,
  findAssistant,
  listAssistants,
  promoteAssistantVersion,
  READ,
  startRollout,
  stopRollout,
  updateAssistant,
} from './assistants.service';
import {
  AiCitation,
  AiTurnType,
  Article,
  AssistantCandidate,
  AssistantInput,
  AssistantStats,
  AssistantType,
  AssistantVersionType,
  Conversation,
  MessageRef,
  SuggestedArticle,
  Ticket,
  TicketTriageType,
} from './graphql-types';

const versionOf = (v: AssistantVersion): AssistantVersionType => Object.assign(new AssistantVersionType(), { assistantId: v.assistantId, version: v.version, createdAt: v.createdAt, ...v.config }) as AssistantVersionType;

@Resolver(() => AssistantType)
export class AssistantResolver {
  @Query(() => [AssistantType], { nullable: true, description: 'Your tenant’s assistants, oldest first (at most 100); null while the assistants service is unavailable.' })
  assistants(@Ctx() ctx: AssistantsContext): Promise<Assistant[]> {
    return listAssistants(ctx);
  }

  @Query(() => AssistantType, { description: 'One of your tenant’s assistants; NOT_FOUND otherwise.' })
  assistant(@Arg('id', () => ID) id: string, @Ctx() ctx: AssistantsContext): Promise<Assistant> {
    return findAssistant(ctx, id);
  }

  @FieldResolver(() => [AssistantVersionType], { description: 'Every version, oldest first.' })
  async versions(@Root() a: Assistant, @Ctx() ctx: AssistantsContext): Promise<AssistantVersionType[]> {
    return (await ctx.loaders.versions.load(a.id)).map(versionOf);
  }

  @FieldResolver(() => AssistantCandidate, { nullable: true, description: 'The version in a gradual rollout, and its share of new conversations.' })
  candidate(@Root() a: Assistant): AssistantCandidate | null {
    return a.candidateVersion == null ? null : { version: a.candidateVersion, sharePercent: a.candidateShare };
  }

  @Mutation(() => AssistantType, { description: 'A new assistant at version 1, not yet active (OWNER, ADMIN, SUPERVISOR; keys with assistants:write).' })
  createAssistant(@Arg('input') input: AssistantInput, @Ctx() ctx: AssistantsContext) {
    return createAssistant(ctx, input);
  }

  @Mutation(() => AssistantType, { description: 'A new version with this configuration. A live assistant keeps answering with its active version until you roll out or promote the new one.' })
  updateAssistant(@Arg('id', () => ID) id: string, @Arg('input') input: AssistantInput, @Ctx() ctx: AssistantsContext) {
    return updateAssistant(ctx, id, input);
  }

  @Mutation(() => AssistantType, { description: 'Makes it the tenant’s assistant on its channels (others active on those channels step back).' })
  activateAssistant(@Arg('id', () => ID) id: string, @Ctx() ctx: AssistantsContext) {
    return activateAssistant(ctx, id);
  }

  @Mutation(() => AssistantType, { description: 'Stops it answering new conversations (conversations it has keep their version).' })
  deactivateAssistant(@Arg('id', () => ID) id: string, @Ctx() ctx: AssistantsContext) {
    return deactivateAssistant(ctx, id);
  }

  @Mutation(() => AssistantType, { description: 'New conversations get `version` with probability sharePercent/100 (1–99); a conversation keeps the version it started with.' })
  startRollout(
    @Arg('assistantId', () => ID) assistantId: string,
    @Arg('version', () => Int) version: number,
    @Arg('sharePercent', () => Int) sharePercent: number,
    @Ctx() ctx: AssistantsContext,
  ) {
    return startRollout(ctx, assistantId, version, sharePercent);
  }

  @Mutation(() => AssistantType, { description: 'Makes `version` the active one for all new conversations and ends the rollout.' })
  promoteAssistantVersion(@Arg('assistantId', () => ID) assistantId: string, @Arg('version', () => Int) version: number, @Ctx() ctx: AssistantsContext) {
    return promoteAssistantVersion(ctx, assistantId, version);
  }

  @Mutation(() => AssistantType, { description: 'Ends the rollout: new conversations get the active version again.' })
  stopRollout(@Arg('assistantId', () => ID) assistantId: string, @Ctx() ctx: AssistantsContext) {
    return stopRollout(ctx, assistantId);
  }
}

@Resolver(() => AssistantVersionType)
export class AssistantVersionResolver {
  @FieldResolver(() => AssistantStats, { description: 'The conversations this version took, and how they went.' })
  stats(@Root() v: AssistantVersionType, @Ctx() ctx: AssistantsContext) {
    return ctx.loaders.stats.load(`${v.assistantId}:${v.version}`);
  }
}

@Resolver(() => MessageRef)
export class MessageAiTurnResolver {
  @FieldResolver(() => AiTurnType, { nullable: true, description: 'How the bot made this message; null for messages the bot did not write.' })
  @Directive('@requires(fields: "idempotencyKey")')
  async aiTurn(@Root() m: MessageRef, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    if (!m.idempotencyKey?.startsWith('assistant:')) return null;
    const turn = await ctx.loaders.aiTurn.load(m.idempotencyKey);
    return turn ? Object.assign(new AiTurnType(), turn, { citations: turn.citations.map((c) => Object.assign(new AiCitation(), c)) }) : null;
  }
}

@Resolver(() => AiCitation)
export class AiCitationResolver {
  @FieldResolver(() => Article, { nullable: true, description: 'The article (its current state; `version` says which one was quoted). Null once it is gone.' })
  article(@Root() c: AiCitation) {
    return { id: c.articleId };
  }
}

@Resolver(() => SuggestedArticle)
export class SuggestedArticleResolver {
  @FieldResolver(() => Article, { nullable: true })
  article(@Root() s: SuggestedArticle) {
    return { id: s.articleId };
  }
}

@Resolver(() => AiTurnType)
export class AiTurnResolver {
  @FieldResolver(() => AssistantType, { nullable: true })
  assistant(@Root() t: AiTurnType, @Ctx() ctx: AssistantsContext) {
    return findAssistant(ctx, t.assistantId).catch(() => null);
  }
}

@Resolver(() => Conversation)
export class ConversationAssistantResolver {
  @FieldResolver(() => String, { nullable: true, description: 'What the customer wants and what the bot tried, written when the assistant handed off; null otherwise.' })
  async handoffSummary(@Root() c: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    return (await ctx.loaders.conversation.load(c.id))?.handoffSummary ?? null;
  }

  @FieldResolver(() => Int, { nullable: true, description: 'The assistant version this conversation started with (kept to its end); null when no assistant took it.' })
  async assistantVersion(@Root() c: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    return (await ctx.loaders.conversation.load(c.id))?.version ?? null;
  }

  @FieldResolver(() => AssistantType, { nullable: true, description: 'The assistant that took this conversation.' })
  async assistant(@Root() c: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    const id = (await ctx.loaders.conversation.load(c.id))?.assistantId;
    return id ? findAssistant(ctx, id).catch(() => null) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'For the agent: a reply drafted from the knowledge for the latest customer message (computed when it arrived); null until one exists.' })
  async suggestedReply(@Root() c: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    return (await ctx.loaders.conversation.load(c.id))?.suggestion?.reply || null;
  }

  @FieldResolver(() => [SuggestedArticle], { nullable: true, description: 'For the agent: articles for the latest customer message, best first.' })
  async suggestedArticles(@Root() c: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, READ);
    const s = (await ctx.loaders.conversation.load(c.id))?.suggestion;
    return s ? s.articles.map((a) => Object.assign(new SuggestedArticle(), a)) : null;
  }
}

@Resolver(() => Ticket)
export class TicketTriageResolver {
  @FieldResolver(() => TicketTriageType, { nullable: true, description: 'How the ticket was triaged when it arrived without a category; null when it was not.' })
  async triage(@Root() t: { id: string }, @Ctx() ctx: AssistantsContext) {
    authorize(ctx.identity, { roles: READ.roles, scope: 'tickets:read' });
    return ctx.loaders.triage.load(t.id);
  }
}

export const references = {
  ...stubReferences('Article', 'Ticket', 'Conversation'),
  Assistant: { __resolveReference: (ref: { id: string }, ctx: AssistantsContext) => findAssistant(ctx, ref.id).catch(() => null) },
  Message: { __resolveReference: (ref: { id: string; idempotencyKey?: string | null }) => Object.assign(new MessageRef(), ref) },
};
