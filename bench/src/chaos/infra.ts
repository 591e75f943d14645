/**
 * The chaos run's own servers: a PostgreSQL 15 cluster (initdb + pg_ctl on a temp directory
 * and a free port) and a redis-server (free port, nothing kept on disk). Never the machine's
 * shared 5432 / 6379: every fault here (restart, kill, terminated connections) would hit
 * everyone else's work.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { freePort } from '../processes';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const PG_BIN = process.env.CHAOS_PG_BIN ?? '/usr/lib/postgresql/15/bin';
export const REDIS_SERVER = process.env.CHAOS_REDIS_SERVER ?? '/usr/bin/redis-server';

/** initdb and pg_ctl refuse to run as root: then they run as the `postgres` user. */
function asPostgres(bin: string, args: string[]): [string, string[]] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return root ? ['runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args]] : [path.join(PG_BIN, bin), args];
}

async function pg(bin: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const [cmd, argv] = asPostgres(bin, args);
  const { stdout, stderr } = await run(cmd, argv, { timeout: timeoutMs });
  return `${stdout}${stderr}`;
}

export interface ChaosPostgres {
  url: string;
  port: number;
  dir: string;
  /** `pg_ctl restart -m fast`: every connection is dropped; resolves once it accepts connections again. */
  restart(): Promise<void>;
  /** `pg_terminate_backend` on every client connection but the caller's own; how many it ended. */
  terminateConnections(): Promise<number>;
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<ChaosPostgres> {
  if (!existsSync(path.join(PG_BIN, 'initdb'))) throw new Error(`no PostgreSQL binaries in ${PG_BIN} (set CHAOS_PG_BIN)`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-pg-'));
  chmodSync(dir, 0o777); // the postgres user writes the cluster here
  const data = path.join(dir, 'data');
  const port = await freePort();
  await pg('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8']);
  // Durability off: this cluster lives for one run. Sockets in its own directory, TCP on 127.0.0.1 only.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB`;
  await pg('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-o', options, '-w', '-t', '60', 'start']);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const query = async <T extends Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  };
  return {
    url,
    port,
    dir,
    async restart() {
      await pg('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '60', 'restart', '-l', path.join(dir, 'server.log')]);
    },
    async terminateConnections() {
      const rows = await query<{ ended: boolean }>(
        `select pg_terminate_backend(pid) as ended from pg_stat_activity where pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      return rows.filter((r) => r.ended).length;
    },
    query,
    async stop() {
      await pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ChaosRedis {
  url: string;
  port: number;
  /** SIGKILL: no shutdown, nothing saved (it keeps nothing anyway). */
  kill(): Promise<void>;
  /** A new, empty redis-server on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<ChaosRedis> {
  if (!existsSync(REDIS_SERVER)) throw new Error(`no redis-server at ${REDIS_SERVER} (set CHAOS_REDIS_SERVER)`);
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-chaos-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}); port ${port} taken?`);
      try {
        const { stdout } = await run('redis-cli', ['-p', String(port), 'ping'], { timeout: 2_000 });
        if (stdout.trim() === 'PONG') return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error('redis-server did not start');
      await sleep(50);
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
