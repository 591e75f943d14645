/**
 * `npm run events:redrive -- --group <group> [--event <id> …] [--list]`: asks a consumer
 * group's running consumers to take its dead letters again (they look every few seconds;
 * an event that fails again goes back to the dead letters with its new error). `--list`
 * prints the group's dead letters instead. Reads DATABASE_URL (and DB_SCHEMA_PREFIX); the
 * dead letters live in the `dead_letter` table of the consuming service's schema, which is
 * found by the group (every schema with the table is searched).
 */
import { Client } from 'pg';

interface Args {
  group: string;
  events: string[];
  list: boolean;
}

function parse(argv: string[]): Args {
  const args: Args = { group: '', events: [], list: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--group') args.group = argv[++i] ?? '';
    else if (a === '--event') args.events.push(argv[++i] ?? '');
    else if (a === '--list') args.list = true;
    else throw new Error(`Unknown argument ${a}`);
  }
  if (!args.group) throw new Error('Usage: npm run events:redrive -- --group <group> [--event <id> …] [--list]');
  return args;
}

async function main(): Promise<void> {
  const args = parse(process.argv.slice(2));
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set (with the embedded database, start with PGLITE_PORT=<port> and use postgres://postgres@127.0.0.1:<port>/postgres)');
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const prefix = process.env.DB_SCHEMA_PREFIX ?? '';
    const { rows: schemas } = await client.query<{ schema: string }>(
      `select table_schema as schema from information_schema.tables where table_name = 'dead_letter' and starts_with(table_schema, $1) order by 1`,
      [prefix],
    );
    let total = 0;
    for (const { schema } of schemas) {
      const table = `"${schema}"."dead_letter"`;
      if (args.list) {
        const { rows } = await client.query(`select "event_id", "type", "tenant_id", "attempts", "dead_at", "redrive_requested_at", "error" from ${table} where "consumer_group" = $1 order by "dead_at"`, [args.group]);
        for (const r of rows) process.stdout.write(`${schema}\t${JSON.stringify(r)}\n`);
        total += rows.length;
        continue;
      }
      const only = args.events.length ? ` and "event_id" = any($2::uuid[])` : '';
      const res = await client.query(
        `update ${table} set "redrive_requested_at" = now(), "claimed_at" = null where "consumer_group" = $1 and "redrive_requested_at" is null${only}`,
        args.events.length ? [args.group, args.events] : [args.group],
      );
      if (res.rowCount) process.stdout.write(`${schema}: ${res.rowCount} dead letter(s) of ${args.group} queued for redrive\n`);
      total += res.rowCount ?? 0;
    }
    process.stdout.write(args.list ? `${total} dead letter(s)\n` : `${total} dead letter(s) queued; the group's consumers take them within a few seconds\n`);
  } finally {
    await client.end();
  }
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
