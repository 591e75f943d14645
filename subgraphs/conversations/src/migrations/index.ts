import { kitMigrations, type MigrationEntry } from '@switchboard/kit';
import { Migration20261123000003Conversations } from './Migration20261123000003Conversations';
import { Migration20261123000004ConversationAgents } from './Migration20261123000004ConversationAgents';
import { Migration20261201000005MessageKeysPerSender } from './Migration20261201000005MessageKeysPerSender';
import { Migration20261201210000ConversationRatings } from './Migration20261201210000ConversationRatings';
import { Migration20261202000006MessageKeysPerSenderRef } from './Migration20261202000006MessageKeysPerSenderRef';

export const migrations: MigrationEntry[] = [
  ...kitMigrations,
  { name: 'Migration20261123000003Conversations', class: Migration20261123000003Conversations },
  { name: 'Migration20261123000004ConversationAgents', class: Migration20261123000004ConversationAgents },
  { name: 'Migration20261201000005MessageKeysPerSender', class: Migration20261201000005MessageKeysPerSender },
  { name: 'Migration20261201210000ConversationRatings', class: Migration20261201210000ConversationRatings },
  { name: 'Migration20261202000006MessageKeysPerSenderRef', class: Migration20261202000006MessageKeysPerSenderRef },
];
