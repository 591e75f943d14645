import { Entity, Filter } from '@mikro-orm/core';
import { DirectoryUser, tenantFilter } from '@switchboard/kit';

/** Conversations' copy of the user directory (from `user.upserted`): who may be assigned a conversation. */
@Entity({ tableName: 'agent' })
@Filter(tenantFilter)
export class Agent extends DirectoryUser {}

export const AGENT_DIRECTORY_GROUP = 'conversations.agent-directory';
