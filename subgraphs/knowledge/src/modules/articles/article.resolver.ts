import { Arg, Ctx, Field, FieldResolver, Float, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root, registerEnumType } from 'type-graphql';
import { authorize } from '@switchboard/kit';
import type { KnowledgeContext } from '../../context';
import { SearchMode, searchArticles, type SearchHit } from '../search/search.service';
import { User } from '../users/user.stub';
import { Article, ArticleConnection, ArticleStatus, ArticleVersion } from './article.entity';
import { READ, createArticle, getArticle, visibleArticle, listArticles, rateArticle, restoreArticleVersion, transitionArticle, updateArticle } from './articles.service';

registerEnumType(SearchMode, {
  name: 'SearchMode',
  valuesConfig: {
    KEYWORD: { description: 'PostgreSQL full text per locale (title over tags over body), typo-tolerant where pg_trgm is installed.' },
    SEMANTIC: { description: 'Cosine similarity of embedded chunks (split by heading and paragraph); the best chunk per article.' },
    HYBRID: { description: 'Reciprocal rank fusion (k = 60) of KEYWORD and SEMANTIC, per article.' },
  },
});

@InputType({ description: 'What an article says; every create or update makes a version of it.' })
export class ArticleInput {
  @Field({ description: '1–300 characters.' })
  title!: string;

  @Field({ description: 'Markdown, at most 100,000 characters; `#` headings split it into search chunks.' })
  body!: string;

  @Field(() => [String], { nullable: true, description: 'Lower-cased; at most 20.' })
  tags?: string[];

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'A language tag (default `en`): en, de, es use their language’s full-text configuration, others `simple`.' })
  locale?: string | null;
}

@InputType()
export class ArticleFilter {
  @Field(() => ArticleStatus, { nullable: true })
  status?: ArticleStatus;

  @Field(() => [String], { nullable: true, description: 'Articles with any of these tags.' })
  tags?: string[];

  @Field(() => String, { nullable: true })
  locale?: string;

  @Field(() => String, { nullable: true })
  category?: string;

  @Field(() => String, { nullable: true, description: 'A substring of the title or body (use `searchArticles` to rank by relevance).' })
  query?: string;
}

@ObjectType({ description: 'One search result: cite `article` at `version`, the text that matched is `snippet`.' })
export class ArticleHit {
  articleId!: string;

  @Field(() => Int, { description: 'The article version this hit matched: the text the snippet (and an answer built on it) comes from.' })
  version!: number;

  @Field(() => Float, { description: 'Higher is better; comparable within one search only (ts_rank_cd, cosine, or the RRF sum).' })
  score!: number;

  @Field({ description: 'The matching passage: the best chunk (SEMANTIC, HYBRID) or a headline of the body (KEYWORD).' })
  snippet!: string;
}

@Resolver(() => ArticleHit)
export class ArticleHitResolver {
  @FieldResolver(() => Article)
  async article(@Root() hit: SearchHit, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return (await ctx.loaders.article.load(hit.articleId))!;
  }
}

@Resolver(() => ArticleVersion)
export class ArticleVersionResolver {
  @FieldResolver(() => User, { nullable: true, description: 'Who wrote this version (null when an API key or the seed did).' })
  author(@Root() v: ArticleVersion): User | null {
    return v.authorId ? { id: v.authorId } : null;
  }
}

@Resolver(() => Article)
export class ArticleResolver {
  @Query(() => Article, { description: 'One article (counts a view). NOT_FOUND for another tenant’s, and for a draft or archived one unless you are an author.' })
  article(@Arg('id', () => ID) id: string, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return getArticle(ctx, id);
  }

  @Query(() => ArticleConnection, { nullable: true, description: 'Your tenant’s articles, newest first: PUBLISHED only unless you are an author.' })
  articles(
    @Ctx() ctx: KnowledgeContext,
    @Arg('filter', () => ArticleFilter, { nullable: true }) filter?: ArticleFilter,
    @Arg('first', () => Int, { nullable: true }) first?: number,
    @Arg('after', () => String, { nullable: true }) after?: string,
  ) {
    return listArticles(ctx, filter, { first, after });
  }

  @Query(() => [ArticleHit], { description: 'Ranked articles for a question. PUBLISHED only (drafts too for authors), never ARCHIVED, never another tenant’s.' })
  searchArticles(
    @Ctx() ctx: KnowledgeContext,
    @Arg('query') query: string,
    @Arg('mode', () => SearchMode, { defaultValue: SearchMode.HYBRID }) mode: SearchMode,
    @Arg('locale', () => String, { nullable: true }) locale?: string,
    @Arg('tags', () => [String], { nullable: true }) tags?: string[],
    @Arg('first', () => Int, { defaultValue: 5 }) first?: number,
  ): Promise<SearchHit[]> {
    return searchArticles(ctx, { query, mode, locale, tags, first });
  }

  @Mutation(() => Article, { description: 'A new DRAFT article at version 1 (OWNER, ADMIN, SUPERVISOR; keys with knowledge:write).' })
  createArticle(@Arg('input') input: ArticleInput, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return createArticle(ctx, input);
  }

  @Mutation(() => Article, { description: 'A new version with `input`. CONFLICT when `expectedVersion` is not the current version.' })
  updateArticle(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: ArticleInput,
    @Ctx() ctx: KnowledgeContext,
    @Arg('expectedVersion', () => Int, { nullable: true }) expectedVersion?: number,
  ): Promise<Article> {
    return updateArticle(ctx, id, input, expectedVersion);
  }

  @Mutation(() => Article, { description: 'DRAFT or ARCHIVED → PUBLISHED; INVALID_TRANSITION otherwise.' })
  publishArticle(@Arg('id', () => ID) id: string, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return transitionArticle(ctx, id, 'publish');
  }

  @Mutation(() => Article, { description: 'DRAFT or PUBLISHED → ARCHIVED: out of search, still readable by authors.' })
  archiveArticle(@Arg('id', () => ID) id: string, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return transitionArticle(ctx, id, 'archive');
  }

  @Mutation(() => Article, { description: 'A new version carrying the title and body of `version`; the history is kept as it was.' })
  restoreArticleVersion(@Arg('id', () => ID) id: string, @Arg('version', () => Int) version: number, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return restoreArticleVersion(ctx, id, version);
  }

  @Mutation(() => Article, { description: 'Your vote on an article you can read; voting again replaces your vote.' })
  rateArticle(@Arg('id', () => ID) id: string, @Arg('helpful') helpful: boolean, @Ctx() ctx: KnowledgeContext): Promise<Article> {
    return rateArticle(ctx, id, helpful);
  }

  @FieldResolver(() => [ArticleVersion], { description: 'Every version, oldest first.' })
  versions(@Root() a: Article, @Ctx() ctx: KnowledgeContext): Promise<ArticleVersion[]> {
    return ctx.loaders.versions.load(a.id);
  }

  @FieldResolver(() => User, { nullable: true, description: 'Who created the article (null when an API key or the seed did).' })
  author(@Root() a: Article): User | null {
    return a.authorId ? { id: a.authorId } : null;
  }
}

/** Other subgraphs reference an Article by id; it resolves in the caller's tenant only, and only if they may see it. */
export const articleReference = {
  Article: {
    __resolveReference: async (ref: { id: string }, ctx: KnowledgeContext) => {
      try {
        return await visibleArticle(ctx, ref.id, authorize(ctx.identity, READ));
      } catch {
        return null;
      }
    },
  },
};
