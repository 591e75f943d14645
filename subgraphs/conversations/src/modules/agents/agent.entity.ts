import { Entity, Filter, PrimaryKey, Property } from '@mikro-orm/core';
import { tenantFilter, type DirectoryEntry } from '@switchboard/kit';

/** Conversations' copy of the user directory (from `user.upserted`): who may be assigned a conversation. */
@Entity({ tableName: 'agent' })
@Filter(tenantFilter)
export class Agent implements DirectoryEntry {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  role!: string;

  @Property({ type: 'jsonb' })
  skills: string[] = [];

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

export const AGENT_DIRECTORY_GROUP = 'conversations.agent-directory';
