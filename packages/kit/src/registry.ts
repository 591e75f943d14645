/**
 * The subgraph registry. Each subgraph declares itself once, in `src/subgraph.ts`
 * (`export const subgraph = defineSubgraph({...})`), and names that file in its
 * package.json (`"switchboard": { "subgraph": "src/subgraph.ts" }`). Everything that lists
 * subgraphs — composition, the launcher, the test stacks, the benchmarks, the deployment
 * files — reads them from here, in start order.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config, type Spec } from './config';
import type { SubgraphSchema } from './federation';
import { createLogger, type Logger } from './logger';
import { onShutdown } from './server';
import type { RunningSubgraph, SubgraphDeps } from './subgraph';

/** The repository root (where the workspaces are listed). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');

/** A user of the demo tenants, as the subgraph that owns users seeded them. */
export interface DemoUser {
  id: string;
  tenantId: string;
  tenantSlug: string;
  name: string;
  email: string;
  role: string;
  skills: string[];
}

/** What demo seeds hand on to the seeds after them (in start order). */
export interface SeedContext {
  /** Every demo user, once the subgraph that owns users has seeded them (absent when a subgraph seeds on its own). */
  directory?: DemoUser[];
  logger: Logger;
}

export interface SeedResult {
  /** True when this run wrote the demo data (false: it was there already). */
  seeded?: boolean;
  /** Handed to later seeds in `SeedContext.directory`. */
  directory?: DemoUser[];
  /** Lines `npm start` prints in its banner (e.g. the demo logins); `{graphql}` becomes the gateway's URL. */
  banner?: string[];
}

/** What the generated deployment files need to know beyond name and port. */
export interface DeploySpec {
  /** Infrastructure the service needs up before it starts (default: postgres and redis). */
  needs?: ('postgres' | 'redis' | 'mongo')[];
  /** Extra environment in the production-like stack (docker-compose). */
  env?: Record<string, string>;
  /** Subgraphs whose internal endpoints (`/internal/*`) it calls: the Kubernetes NetworkPolicies let it reach them. */
  calls?: string[];
  /** Variables read from the Kubernetes Secret besides the ones its env spec marks secret (e.g. an encryption key). */
  secrets?: string[];
  /** It calls the internet (model providers, webhooks): egress to public addresses on 80/443. */
  internet?: boolean;
}

export interface SubgraphDefinition<S extends Spec = Spec, App extends RunningSubgraph = RunningSubgraph> {
  /** Lowercase, e.g. "tickets": the subgraph's name in the supergraph, its Postgres schema, `<NAME>_PORT` / `<NAME>_URL`. */
  name: string;
  /** One line for banners and docs. */
  description?: string;
  /** Default port; `env` must declare `<NAME>_PORT` with this default. */
  port: number;
  /** The typed environment spec (`src/env.ts`). */
  env: S;
  /** The federated schema (`src/schema.ts`). */
  schema(): Promise<SubgraphSchema>;
  /** Starts it (`src/app.ts`): what main, the launcher and the tests all call. */
  bootstrap(config: Config<S> & { DATABASE_URL: string }, deps: SubgraphDeps & Record<string, unknown>): Promise<App>;
  /** Demo data, idempotent (a second run writes nothing). */
  seed?(app: App, context: SeedContext): Promise<SeedResult | void>;
  /** Subgraphs that start (and seed) before this one, and stop after it. */
  dependsOn?: string[];
  /** Environment the test stack and the benchmarks start it with (e.g. timers off). */
  testEnv?: Record<string, string>;
  deploy?: DeploySpec;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySubgraphDefinition = SubgraphDefinition<any, any>;

/** A definition as the registry found it. */
export type RegisteredSubgraph = AnySubgraphDefinition & {
  /** The package directory, absolute. */
  dir: string;
  /** The package directory relative to the repository root, with forward slashes. */
  relativeDir: string;
  packageName: string;
  /** Its `src/main.ts`, relative to the repository root (what Docker and the benchmarks run). */
  main: string;
  /** `TICKETS_PORT` */
  portVariable: string;
  /** `TICKETS_URL` (read by the gateway) */
  urlVariable: string;
};

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Declares a subgraph (`src/subgraph.ts`); checks the parts that can be checked alone. */
export function defineSubgraph<S extends Spec, App extends RunningSubgraph>(definition: SubgraphDefinition<S, App>): SubgraphDefinition<S, App> {
  if (!NAME.test(definition.name)) throw new Error(`subgraph name "${definition.name}" must be lowercase letters and digits (words joined by "-")`);
  return definition;
}

/** `live-chat` → `LIVE_CHAT`: the prefix of a subgraph's environment variables. */
export function envPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}
export const portVariable = (name: string) => `${envPrefix(name)}_PORT`;
export const urlVariable = (name: string) => `${envPrefix(name)}_URL`;

export interface RegistryOptions {
  /** Repository root (default: this checkout). */
  root?: string;
  /** More package directories to look in besides the workspaces (tests scaffold into a temp dir). */
  include?: string[];
}

/** The workspace directories of the root package.json, absolute (`dir/*` globs expanded). */
export function workspaceDirs(root = REPOSITORY_ROOT): string[] {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const out: string[] = [];
  for (const pattern of pkg.workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = path.join(root, pattern.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const entry of readdirSync(parent, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.isDirectory() && existsSync(path.join(parent, entry.name, 'package.json'))) out.push(path.join(parent, entry.name));
      }
    } else if (existsSync(path.join(root, pattern, 'package.json'))) {
      out.push(path.join(root, pattern));
    }
  }
  return out;
}

function readDefinition(dir: string, root: string): RegisteredSubgraph | undefined {
  const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; switchboard?: { subgraph?: string } };
  const entry = pkg.switchboard?.subgraph;
  if (!entry) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path.join(dir, entry)) as { subgraph?: AnySubgraphDefinition; default?: AnySubgraphDefinition };
  const definition = mod.subgraph ?? mod.default;
  if (!definition?.name) throw new Error(`${pkg.name}: ${entry} must export \`subgraph = defineSubgraph({...})\``);
  const relativeDir = path.relative(root, dir).split(path.sep).join('/');
  return {
    ...definition,
    dir,
    relativeDir,
    packageName: pkg.name,
    main: `${relativeDir}/src/main.ts`,
    portVariable: portVariable(definition.name),
    urlVariable: urlVariable(definition.name),
  };
}

/** Problems with a set of definitions (duplicate names or ports, unknown or circular dependencies, port variable missing). */
export function registryProblems(subgraphs: RegisteredSubgraph[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, RegisteredSubgraph>();
  const byPort = new Map<number, string>();
  for (const s of subgraphs) {
    if (byName.has(s.name)) problems.push(`two subgraphs are named "${s.name}" (${byName.get(s.name)!.relativeDir}, ${s.relativeDir})`);
    byName.set(s.name, s);
    if (byPort.has(s.port)) problems.push(`${s.name} and ${byPort.get(s.port)} both use port ${s.port}`);
    byPort.set(s.port, s.name);
    const parser = s.env[s.portVariable];
    if (!parser) problems.push(`${s.name}: its env must declare ${s.portVariable} (env.port(${s.port}))`);
    else if (parser.parse(undefined, s.portVariable, {}).value !== s.port) problems.push(`${s.name}: ${s.portVariable} must default to its port ${s.port}`);
    for (const d of s.dependsOn ?? []) if (!subgraphs.some((o) => o.name === d)) problems.push(`${s.name} depends on "${d}", which is not a subgraph`);
  }
  try {
    startOrder(subgraphs);
  } catch (error) {
    problems.push((error as Error).message);
  }
  return problems;
}

/** Dependencies first; among subgraphs free to start, the lower port first. Throws on a cycle. */
export function startOrder<T extends { name: string; port: number; dependsOn?: string[] }>(subgraphs: T[]): T[] {
  const left = new Map(subgraphs.map((s) => [s.name, s]));
  const done = new Set<string>();
  const out: T[] = [];
  while (left.size) {
    const ready = [...left.values()]
      .filter((s) => (s.dependsOn ?? []).every((d) => done.has(d) || !subgraphs.some((o) => o.name === d)))
      .sort((a, b) => a.port - b.port || a.name.localeCompare(b.name));
    if (!ready.length) throw new Error(`subgraph dependencies form a cycle: ${[...left.keys()].join(', ')}`);
    const next = ready[0]!;
    out.push(next);
    done.add(next.name);
    left.delete(next.name);
  }
  return out;
}

const cache = new Map<string, RegisteredSubgraph[]>();

/**
 * Every subgraph of the repository (the workspaces whose package.json has a `switchboard`
 * field, plus `include`), in start order. Throws listing every problem.
 */
export function loadRegistry(options: RegistryOptions = {}): RegisteredSubgraph[] {
  const root = options.root ?? REPOSITORY_ROOT;
  const key = JSON.stringify([root, options.include ?? []]);
  const known = cache.get(key);
  if (known) return known;
  const dirs = [...workspaceDirs(root), ...(options.include ?? []).map((d) => path.resolve(d))];
  const found = dirs.map((d) => readDefinition(d, root)).filter((d): d is RegisteredSubgraph => !!d);
  const problems = registryProblems(found);
  if (problems.length) throw new Error(`Subgraph registry:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const ordered = startOrder(found);
  cache.set(key, ordered);
  return ordered;
}

/** `names` and everything they depend on, in start order. Throws on an unknown name. */
export function withDependencies(registry: RegisteredSubgraph[], names: string[]): RegisteredSubgraph[] {
  const wanted = new Set<string>();
  const add = (name: string) => {
    const s = registry.find((r) => r.name === name);
    if (!s) throw new Error(`no subgraph named "${name}" (known: ${registry.map((r) => r.name).join(', ')})`);
    if (wanted.has(name)) return;
    wanted.add(name);
    for (const d of s.dependsOn ?? []) add(d);
  };
  names.forEach(add);
  return registry.filter((s) => wanted.has(s.name));
}

/**
 * Runs the demo seeds of started subgraphs in their start order, each handed the directory
 * of demo users an earlier seed produced (what `npm start`, the test stacks and the
 * fault-injection run seed). `only`: which subgraphs seed (default: all).
 */
export async function seedSubgraphs(
  started: { definition: AnySubgraphDefinition; app: RunningSubgraph }[],
  logger: Logger,
  only: (name: string) => boolean = () => true,
): Promise<{ seeded: boolean; banner: string[] }> {
  let context: SeedContext = { logger };
  const banner: string[] = [];
  let seeded = false;
  for (const { definition, app } of started) {
    if (!only(definition.name)) continue;
    const result = await definition.seed?.(app, context);
    if (!result) continue;
    if (result.directory) context = { ...context, directory: result.directory };
    if (result.banner) banner.push(...result.banner);
    seeded ||= result.seeded === true;
  }
  return { seeded, banner };
}

/** The message for a port that is taken, naming the variable that moves it. */
export function portInUseMessage(s: { name: string; port?: number }, variable: string, port: number | string): string {
  return `${s.name}: port ${port} is already in use; set ${variable} to another port (0 picks a free one)`;
}

export function isAddressInUse(error: unknown): boolean {
  return (error as { code?: string } | undefined)?.code === 'EADDRINUSE';
}

/**
 * A subgraph's `src/main.ts`: read its environment (print every problem and exit), start it,
 * seed the demo data when `SEED_DEMO` is true, and stop cleanly on SIGINT/SIGTERM.
 */
export function runSubgraph(definition: AnySubgraphDefinition): void {
  const config = loadConfig(definition.env) as Record<string, unknown> & { LOG_LEVEL: Parameters<typeof createLogger>[1]; DATABASE_URL?: string };
  const logger = createLogger({ service: definition.name }, config.LOG_LEVEL);
  const port = portVariable(definition.name);
  const run = async () => {
    if (!config.DATABASE_URL) {
      logger.error(`DATABASE_URL is required to run the ${definition.name} subgraph on its own (npm start runs everything with an embedded database)`);
      process.exit(1);
    }
    const app = await definition.bootstrap({ ...config, DATABASE_URL: config.DATABASE_URL }, { logger });
    if (config.SEED_DEMO === true && definition.seed && (await definition.seed(app, { logger }))?.seeded) logger.info('demo data seeded');
    onShutdown(() => app.close(), logger);
  };
  run().catch((error) => {
    if (isAddressInUse(error)) logger.error(portInUseMessage(definition, port, String(config[port])));
    else logger.error(`${definition.name} failed to start`, { error });
    process.exit(1);
  });
}
