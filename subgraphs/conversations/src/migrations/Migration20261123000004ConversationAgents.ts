import { Migration } from '@mikro-orm/migrations';
import { directoryTableSql } from '@switchboard/kit';

/** The agent directory: the same table as tickets', from the kit. */
export class Migration20261123000004ConversationAgents extends Migration {
  override async up(): Promise<void> {
    for (const sql of directoryTableSql(this.config.get('schema'))) this.addSql(sql);
  }
}
