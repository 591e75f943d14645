import { Entity, Filter, OptionalProps, Property } from '@mikro-orm/core';
import { TenantOwned, tenantFilter } from '@switchboard/kit';
import type { Attachment, AuthorKind, Channel, ConversationStatus, Priority } from '../types';

/**
 * The PostgreSQL rows behind the store. They are never handed to callers: the store maps
 * them to the plain types of ../types. Tables live in the subgraph's own schema
 * (Migration20261123000003Conversations).
 */

@Entity({ tableName: 'contact' })
@Filter(tenantFilter)
export class ContactEntity extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'externalIds' | 'name' | 'email' | 'phone';

  @Property({ type: 'text', nullable: true })
  name: string | null = null;

  @Property({ type: 'text', nullable: true })
  email: string | null = null;

  @Property({ type: 'text', nullable: true })
  phone: string | null = null;

  @Property({ type: 'jsonb' })
  externalIds: Partial<Record<Channel, string>> = {};

  @Property({ type: 'timestamptz', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

@Entity({ tableName: 'conversation' })
@Filter(tenantFilter)
export class ConversationEntity extends TenantOwned {
  [OptionalProps]?: 'createdAt' | 'updatedAt' | 'status' | 'assigneeId' | 'tags' | 'priority' | 'unreadCount' | 'version';

  @Property({ type: 'text' })
  channel!: Channel;

  @Property({ type: 'uuid' })
  contactId!: string;

  @Property({ type: 'text' })
  status: ConversationStatus = 'BOT';

  @Property({ type: 'text', nullable: true })
  assigneeId: string | null = null;

  @Property({ type: 'jsonb' })
  tags: string[] = [];

  @Property({ type: 'text' })
  priority: Priority = 'NORMAL';

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();

  /** Moved by appendMessage with a plain UPDATE under the row lock (bookkeeping: no version bump, no audit row). */
  @Property({ type: 'timestamptz' })
  lastMessageAt!: Date;

  @Property({ type: 'integer' })
  unreadCount: number = 0;

  @Property({ type: 'integer', version: true })
  version: number = 1;
}

@Entity({ tableName: 'message' })
@Filter(tenantFilter)
export class MessageEntity extends TenantOwned {
  @Property({ type: 'uuid' })
  conversationId!: string;

  @Property({ type: 'text' })
  authorKind!: AuthorKind;

  @Property({ type: 'text', nullable: true })
  authorId: string | null = null;

  /** Who sent it when not a person: `key:<api key id>` or `service:<name>`. Part of the sender an idempotency key belongs to. */
  @Property({ type: 'text', nullable: true })
  senderRef: string | null = null;

  @Property({ type: 'text' })
  text!: string;

  @Property({ type: 'jsonb' })
  attachments: Attachment[] = [];

  @Property({ type: 'jsonb' })
  metadata: Record<string, unknown> = {};

  @Property({ type: 'text', nullable: true })
  idempotencyKey: string | null = null;
}

export const conversationEntities = [ContactEntity, ConversationEntity, MessageEntity];
