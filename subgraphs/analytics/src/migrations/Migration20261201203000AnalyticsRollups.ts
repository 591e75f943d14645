import { Migration } from '@mikro-orm/migrations';

/**
 * Analytics storage. `event`: every domain event consumed, once (its primary key is the
 * idempotency guard, written in the same transaction as the rollup change) and the record
 * a rebuild replays. `fact`: the folded state of each conversation and ticket, with what it
 * contributed to the rollups so far. `rollup` (counters and sums) and `sample` (percentile
 * samples) by tenant, hour and dimension, partitioned by month on the hour; partitions are
 * created on demand (`rollup_YYYYMM`, `sample_YYYYMM`). `agent_activity`: last activity of
 * each agent, for liveMetrics.agentsOnline.
 */
export class Migration20261201203000AnalyticsRollups extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."event" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "type" text not null,
      "occurred_at" timestamptz not null,
      "data" jsonb not null
    )`);
    this.addSql(`create index "event_replay_idx" on "${s}"."event" ("occurred_at", "id")`);
    this.addSql(`create table "${s}"."fact" (
      "tenant_id" uuid not null,
      "kind" text not null,
      "entity_id" text not null,
      "state" jsonb not null,
      "contributions" jsonb not null,
      "open" boolean not null default false,
      "waiting" boolean not null default false,
      "at_risk" boolean not null default false,
      primary key ("tenant_id", "kind", "entity_id")
    )`);
    this.addSql(`create index "fact_live_idx" on "${s}"."fact" ("tenant_id") where "open" or "waiting" or "at_risk"`);
    const dims = `"channel" text not null, "agent" text not null, "assistant" text not null, "model" text not null, "priority" text not null`;
    this.addSql(`create table "${s}"."rollup" (
      "tenant_id" uuid not null,
      "bucket" timestamptz not null,
      "measure" text not null,
      ${dims},
      "n" bigint not null,
      "total" double precision not null,
      primary key ("tenant_id", "measure", "bucket", "channel", "agent", "assistant", "model", "priority")
    ) partition by range ("bucket")`);
    this.addSql(`create table "${s}"."sample" (
      "tenant_id" uuid not null,
      "bucket" timestamptz not null,
      "measure" text not null,
      "entity_id" text not null,
      ${dims},
      "value" double precision not null,
      primary key ("tenant_id", "measure", "bucket", "entity_id")
    ) partition by range ("bucket")`);
    this.addSql(`create table "${s}"."agent_activity" (
      "tenant_id" uuid not null,
      "agent_id" text not null,
      "last_at" timestamptz not null,
      primary key ("tenant_id", "agent_id")
    )`);
  }
}
