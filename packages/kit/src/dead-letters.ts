import { Migration } from '@mikro-orm/migrations';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { DomainEvent } from './event-bus';

/** One event a consumer group gave up on, with the error of its last attempt. */
export interface DeadLetter {
  group: string;
  event: DomainEvent;
  error: string;
  /** Attempts in all, across redrives. */
  attempts: number;
  deadAt: Date;
  /** Set by a redrive request until the consumer takes the event again. */
  redriveRequestedAt: Date | null;
}

/**
 * The dead letters, in each service's own schema (PostgreSQL whichever bus runs: the same
 * table, the same redrive, with Redis or without). One row per (group, event): an event that
 * fails again after a redrive updates its row.
 */
export class Migration00000000000002DeadLetters extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."dead_letter" (
      "consumer_group" text not null,
      "event_id" uuid not null,
      "type" text not null,
      "tenant_id" uuid not null,
      "occurred_at" timestamptz not null,
      "data" jsonb not null default '{}',
      "error" text not null,
      "attempts" integer not null,
      "dead_at" timestamptz not null,
      "redrive_requested_at" timestamptz null,
      "claimed_at" timestamptz null,
      primary key ("consumer_group", "event_id")
    )`);
    this.addSql(`create index "dead_letter_redrive_idx" on "${s}"."dead_letter" ("consumer_group", "redrive_requested_at") where "redrive_requested_at" is not null`);
  }
}

/** What is stored of an error: its message (and name), never a stack or bound values. */
export function deadLetterReason(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

interface Row {
  consumer_group: string;
  event_id: string;
  type: string;
  tenant_id: string;
  occurred_at: Date;
  data: Record<string, unknown>;
  error: string;
  attempts: number;
  dead_at: Date;
  redrive_requested_at: Date | null;
}

const toDeadLetter = (r: Row): DeadLetter => ({
  group: r.consumer_group,
  event: { id: r.event_id, type: r.type, tenantId: r.tenant_id, occurredAt: new Date(r.occurred_at).toISOString(), data: r.data },
  error: r.error,
  attempts: Number(r.attempts),
  deadAt: new Date(r.dead_at),
  redriveRequestedAt: r.redrive_requested_at ? new Date(r.redrive_requested_at) : null,
});

/** The dead-letter table of one service's schema. */
export class DeadLetterStore {
  constructor(private readonly orm: MikroORM) {}

  private get table(): string {
    return `"${this.orm.config.get('schema')}"."dead_letter"`;
  }

  private sql<T>(query: string, params: unknown[], method: 'all' | 'run' = 'all'): Promise<T> {
    return this.orm.em.fork().getConnection().execute(query, params, method) as Promise<T>;
  }

  async put(group: string, event: DomainEvent, error: unknown, attempts: number): Promise<void> {
    await this.sql(
      `insert into ${this.table} ("consumer_group", "event_id", "type", "tenant_id", "occurred_at", "data", "error", "attempts", "dead_at")
       values (?, ?, ?, ?, ?::timestamptz, ?::jsonb, ?, ?, now())
       on conflict ("consumer_group", "event_id") do update set "error" = excluded."error", "attempts" = ${this.table}."attempts" + excluded."attempts",
         "dead_at" = excluded."dead_at", "redrive_requested_at" = null, "claimed_at" = null`,
      [group, event.id, event.type, event.tenantId, event.occurredAt, JSON.stringify(event.data ?? {}), deadLetterReason(error), attempts],
      'run',
    );
  }

  async list(group: string): Promise<DeadLetter[]> {
    const rows = await this.sql<Row[]>(`select * from ${this.table} where "consumer_group" = ? order by "dead_at", "event_id"`, [group]);
    return rows.map(toDeadLetter);
  }

  /** Asks the group's running consumers to take its dead letters (all, or the given event ids) again; answers how many. */
  async requestRedrive(group: string, eventIds?: readonly string[]): Promise<number> {
    const only = eventIds?.length ? ` and "event_id" in (${eventIds.map(() => '?').join(', ')})` : '';
    const res = await this.sql<{ affectedRows?: number }>(
      `update ${this.table} set "redrive_requested_at" = now(), "claimed_at" = null where "consumer_group" = ? and "redrive_requested_at" is null${only}`,
      [group, ...(eventIds ?? [])],
      'run',
    );
    return res.affectedRows ?? 0;
  }

  /**
   * Takes up to `limit` redrive-requested dead letters of the group (one statement; a claim
   * older than `leaseMs` — its taker crashed — can be taken again).
   */
  async claimRedrives(group: string, limit = 100, leaseMs = 5 * 60_000): Promise<DomainEvent[]> {
    const rows = await this.sql<Row[]>(
      `update ${this.table} set "claimed_at" = now()
       where ("consumer_group", "event_id") in (
         select "consumer_group", "event_id" from ${this.table}
         where "consumer_group" = ? and "redrive_requested_at" is not null and ("claimed_at" is null or "claimed_at" < now() - (? * interval '1 millisecond'))
         order by "dead_at", "event_id" limit ? for update skip locked)
       returning *`,
      [group, leaseMs, limit],
    );
    return rows.map((r) => toDeadLetter(r).event);
  }

  /** The redriven event was handled: it is no longer dead. */
  async remove(group: string, eventId: string): Promise<void> {
    await this.sql(`delete from ${this.table} where "consumer_group" = ? and "event_id" = ?`, [group, eventId], 'run');
  }
}
