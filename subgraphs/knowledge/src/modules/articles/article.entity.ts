import { ArrayType, Entity, Enum, Filter, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';
import { TenantOwned, connectionType, tenantFilter } from '@switchboard/kit';
import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ArticleStatus {
  DRAFT = 'DRAFT',
  PUBLISHED = 'PUBLISHED',
  ARCHIVED = 'ARCHIVED',
}
registerEnumType(ArticleStatus, {
  name: 'ArticleStatus',
  valuesConfig: {
    DRAFT: { description: 'Being written: only authors (OWNER, ADMIN, SUPERVISOR) see it.' },
    PUBLISHED: { description: 'Live: every reader sees it and search finds it.' },
    ARCHIVED: { description: 'Retired: authors still see it, search never finds it.' },
  },
});

/** A help-center article. Every edit is kept as an `ArticleVersion`; `version` is the current one. */
@Entity({ tableName: 'article' })
@Filter(tenantFilter)
@ObjectType({ description: 'A help-center article of your tenant, with every version kept.' })
@Directive('@key(fields: "id")')
export class Article extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'tags' | 'version' | 'helpfulCount' | 'notHelpfulCount' | 'views' | 'publishedAt' | 'category' | 'authorId';

  @Property({ type: 'text' })
  @Field()
  title!: string;

  @Property({ type: 'text' })
  @Field({ description: 'Markdown.' })
  body!: string;

  @Property({ type: ArrayType, columnType: 'text[]' })
  @Field(() => [String])
  tags: string[] = [];

  @Property({ type: 'text', nullable: true })
  @Field(() => String, { nullable: true })
  category?: string | null = null;

  @Property({ type: 'text' })
  @Field({ description: 'A language tag such as `en` or `de`: it picks the full-text configuration.' })
  locale!: string;

  @Enum({ items: () => ArticleStatus, type: 'text' })
  @Field(() => ArticleStatus)
  status: ArticleStatus = ArticleStatus.DRAFT;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'The current version: 1 at creation, +1 per edit or restore. Send it as `expectedVersion`.' })
  version: number = 1;

  @Property({ type: 'integer' })
  @Field(() => Int)
  helpfulCount: number = 0;

  @Property({ type: 'integer' })
  @Field(() => Int)
  notHelpfulCount: number = 0;

  @Property({ type: 'integer' })
  @Field(() => Int, { description: 'Times `article(id)` was read.' })
  views: number = 0;

  @Property({ type: 'uuid', nullable: true })
  authorId?: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  @Field(() => Date, { nullable: true })
  publishedAt?: Date | null = null;

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  @Field()
  updatedAt: Date = new Date();
}

export const ArticleConnection = connectionType(Article, 'Article');

/** One version of an article: what it said, who wrote it, when. Never changed after insert. */
@Entity({ tableName: 'article_version' })
@Filter(tenantFilter)
@ObjectType({ description: 'One kept version of an article.' })
export class ArticleVersion {
  [OptionalProps]?: 'createdAt' | 'authorId' | 'restoredFrom';

  @PrimaryKey({ type: 'uuid' })
  articleId!: string;

  @PrimaryKey({ type: 'integer' })
  @Field(() => Int)
  version!: number;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  @Field()
  title!: string;

  @Property({ type: 'text' })
  @Field()
  body!: string;

  @Property({ type: 'uuid', nullable: true })
  authorId?: string | null = null;

  @Property({ type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'The version this one restored, if it was made by `restoreArticleVersion`.' })
  restoredFrom?: number | null = null;

  @Property({ type: 'timestamptz' })
  @Field()
  createdAt: Date = new Date();
}

/** One vote per reader and article: voting again changes the vote. */
@Entity({ tableName: 'article_rating' })
@Filter(tenantFilter)
export class ArticleRating {
  @PrimaryKey({ type: 'uuid' })
  articleId!: string;

  @PrimaryKey({ type: 'text' })
  voter!: string;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'boolean' })
  helpful!: boolean;
}
