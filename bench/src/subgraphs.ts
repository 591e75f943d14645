/**
 * The benchmarks' subgraphs, from the registry (each subgraph's src/subgraph.ts): the ones a
 * benchmark's queries touch and what they depend on, booted in this process to migrate and
 * seed, then each run in a process of its own.
 */
import { loadRegistry, parseConfig, withDependencies, type EventBus, type Logger, type RegisteredSubgraph, type RunningSubgraph } from '@switchboard/kit';
import path from 'node:path';
import { Client } from 'pg';
import { freePort, startService, type Child } from './processes';

/** `names` and their dependencies, in start order. */
export function benchSubgraphs(names: string[]): RegisteredSubgraph[] {
  return withDependencies(loadRegistry(), names);
}

/**
 * Boots them in this process on free ports (migrations run), each told where the ones before
 * it listen (`<NAME>_URL`, as the test stack does: assistants writes through conversations);
 * `close()` stops them in reverse order.
 */
export async function bootInProcess(
  subgraphs: RegisteredSubgraph[],
  env: Record<string, string>,
  deps: { logger: Logger; bus: EventBus },
): Promise<{ apps: Record<string, RunningSubgraph>; close(): Promise<void> }> {
  const started: RunningSubgraph[] = [];
  const apps: Record<string, RunningSubgraph> = {};
  const urls: Record<string, string> = {};
  for (const s of subgraphs) {
    const config = parseConfig(s.env, { ...env, ...urls, ...s.testEnv, [s.portVariable]: '0' });
    const app = await s.bootstrap({ ...config, DATABASE_URL: env.DATABASE_URL! }, deps);
    started.push(app);
    apps[s.name] = app;
    urls[s.urlVariable] = app.url;
  }
  return {
    apps,
    async close() {
      for (const app of started.reverse()) await app.close();
    },
  };
}

export interface Processes {
  /** By subgraph name (a restarted one is replaced here). */
  children: Record<string, Child>;
  urls: Record<string, string>;
  urlEnv: Record<string, string>;
  /** Starts `name` again on its port with its environment (after it was stopped or killed). */
  restart(name: string): Promise<Child>;
  stop(): Promise<void>;
}

/**
 * Starts each in its own Node process (its src/main.ts) on a free port, in start order.
 * Each is told where the others run (`<NAME>_URL`: integrations calls conversations, tenants
 * and tickets). `logDir`: each writes its log lines to `<logDir>/<name>.log`.
 */
export async function startProcesses(subgraphs: RegisteredSubgraph[], env: Record<string, string>, options: { logDir?: string; logLevel?: string; startTimeoutMs?: number } = {}): Promise<Processes> {
  const children: Record<string, Child> = {};
  const ports: Record<string, number> = {};
  const stop = async () => {
    for (const s of [...subgraphs].reverse()) await children[s.name]?.stop();
  };
  for (const s of subgraphs) ports[s.name] = await freePort();
  const urlEnv = Object.fromEntries(subgraphs.map((s) => [s.urlVariable, `http://127.0.0.1:${ports[s.name]}/graphql`]));
  const launch = async (s: RegisteredSubgraph) => {
    const port = ports[s.name]!;
    const child = await startService(s.main, { ...urlEnv, ...env, ...s.testEnv, [s.portVariable]: String(port) }, port, {
      logLevel: options.logLevel,
      startTimeoutMs: options.startTimeoutMs,
      logFile: options.logDir ? path.join(options.logDir, `${s.name}.log`) : undefined,
    });
    children[s.name] = child;
    return child;
  };
  try {
    for (const s of subgraphs) await launch(s);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    children,
    /** By subgraph name. */
    urls: Object.fromEntries(subgraphs.map((s) => [s.name, children[s.name]!.url])),
    /** `<NAME>_URL` for the gateway. */
    urlEnv,
    restart(name) {
      const s = subgraphs.find((x) => x.name === name);
      if (!s) throw new Error(`no subgraph "${name}" in this set`);
      return launch(s);
    },
    stop,
  };
}

/** Drops every schema whose name starts with `prefix` (a benchmark's own, at its end). */
export async function dropSchemas(databaseUrl: string, prefix: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [`${prefix}%`]);
    for (const { nspname } of rows) await client.query(`drop schema "${nspname}" cascade`);
  } finally {
    await client.end();
  }
}
