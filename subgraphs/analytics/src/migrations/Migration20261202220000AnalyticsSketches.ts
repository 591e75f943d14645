import { Migration } from '@mikro-orm/migrations';

/**
 * `sketch`: a t-digest (tdigest.ts) of the percentile samples of each rollup cell — tenant,
 * measure, hour and the five dimensions — partitioned by month like `rollup` and `sample`
 * (`sketch_YYYYMM`, created on demand). Rebuilt from the cell's samples whenever one of them
 * changes, so it can be retracted like everything else; a query merges the cells' digests when
 * the range holds more samples than ANALYTICS_EXACT_PERCENTILE_MAX_SAMPLES.
 */
export class Migration20261202220000AnalyticsSketches extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."sketch" (
      "tenant_id" uuid not null,
      "bucket" timestamptz not null,
      "measure" text not null,
      "channel" text not null, "agent" text not null, "assistant" text not null, "model" text not null, "priority" text not null,
      "n" bigint not null,
      "digest" jsonb not null,
      primary key ("tenant_id", "measure", "bucket", "channel", "agent", "assistant", "model", "priority")
    ) partition by range ("bucket")`);
  }
}
