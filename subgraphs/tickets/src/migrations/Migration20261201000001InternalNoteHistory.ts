import { Migration } from '@mikro-orm/migrations';

/**
 * History entries of internal notes used to carry the note's first 100 characters, which a
 * partner key could read through `Ticket.history`. New entries record only that a note was
 * added; this removes the text from the entries written before.
 */
export class Migration20261201000001InternalNoteHistory extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`update "${s}"."ticket_history" set "to" = null where "field" = 'internalNote' and "to" is not null`);
  }
}
