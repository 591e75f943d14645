/**
 * `npm run new:subgraph -- <name> [--port <port>]`: a new subgraph in subgraphs/<name>, from
 * templates/subgraph (the standard skeleton with one example entity, `<Name>Item`, its
 * queries, a mutation, demo data and a test). Then `npm install && npm run compose`, and it
 * is part of the graph: composition, `npm start`, the test stack, the benchmarks and the
 * deployment files find it through its src/subgraph.ts.
 *
 * The template is a working subgraph named "sample" on port 4999; scaffolding copies it,
 * replacing `Sample` / `sample` / `SAMPLE` with the new name, 4999 with the port, and the
 * migration's timestamp 20990101000000 with now.
 */
import { loadRegistry, REPOSITORY_ROOT, type RegisteredSubgraph } from '@switchboard/kit';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const TEMPLATE_DIR = path.join(__dirname, 'subgraph');
const NAME = /^[a-z][a-z0-9]{1,30}$/;
/** Ports the gateway and the tools around it use. */
const RESERVED = new Set([4000]);

export interface ScaffoldOptions {
  name: string;
  /** Default: the first free port after the registry's highest. */
  port?: number;
  /** Where the folder goes (default: subgraphs/<name> of this checkout). */
  dir?: string;
  /** The subgraphs it must not collide with (default: this checkout's registry). */
  registry?: RegisteredSubgraph[];
  /** The migration's timestamp (default: now, UTC, yyyymmddhhmmss). */
  now?: Date;
}

export function nextPort(registry: { port: number }[]): number {
  const used = new Set([...RESERVED, ...registry.map((s) => s.port)]);
  let port = Math.max(4000, ...registry.map((s) => s.port)) + 1;
  while (used.has(port)) port++;
  return port;
}

function filesOf(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    if (entry === 'node_modules') return [];
    return statSync(full).isDirectory() ? filesOf(full, base) : [path.relative(base, full)];
  });
}

/** Writes the new subgraph's folder; returns it and the files written. Throws on a bad or taken name or port. */
export function scaffoldSubgraph(options: ScaffoldOptions): { dir: string; port: number; files: string[] } {
  const { name } = options;
  if (!NAME.test(name)) throw new Error(`"${name}" is not a subgraph name: 2–31 lowercase letters and digits, starting with a letter`);
  const registry = options.registry ?? loadRegistry();
  if (registry.some((s) => s.name === name)) throw new Error(`a subgraph named "${name}" exists already`);
  const port = options.port ?? nextPort(registry);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be a port number, got ${port}`);
  const taken = registry.find((s) => s.port === port);
  if (taken || RESERVED.has(port)) throw new Error(`port ${port} is taken${taken ? ` by ${taken.name}` : ''}`);
  const dir = options.dir ?? path.join(REPOSITORY_ROOT, 'subgraphs', name);
  if (existsSync(dir)) throw new Error(`${dir} exists already`);

  const pascal = name[0]!.toUpperCase() + name.slice(1);
  const stamp = (options.now ?? new Date()).toISOString().replace(/\D/g, '').slice(0, 14);
  const replace = (text: string) =>
    text.replaceAll('Sample', pascal).replaceAll('sample', name).replaceAll('SAMPLE', name.toUpperCase()).replaceAll('4999', String(port)).replaceAll('20990101000000', stamp);

  const files: string[] = [];
  for (const rel of filesOf(TEMPLATE_DIR)) {
    const target = path.join(dir, replace(rel));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, replace(readFileSync(path.join(TEMPLATE_DIR, rel), 'utf8')));
    files.push(target);
  }
  return { dir, port, files };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : undefined;
  const name = args.filter((_, i) => portAt < 0 || (i !== portAt && i !== portAt + 1))[0];
  if (!name) {
    process.stderr.write('usage: npm run new:subgraph -- <name> [--port <port>]\n');
    process.exit(2);
  }
  try {
    const { dir, port: chosen } = scaffoldSubgraph({ name, port });
    const rel = path.relative(process.cwd(), dir);
    process.stdout.write(
      [
        `Created ${rel} (port ${chosen}, ${name.toUpperCase()}_PORT moves it).`,
        '',
        'Next:',
        '  npm install && npm run compose   # link the workspace; regenerate schema/, Dockerfile, docker-compose.yml',
        `  npm test -w @switchboard/${name}`,
        '  npm start                         # it runs with the rest; try:',
        `    { ${name}Items(first: 5) { totalCount nodes { id name } } }`,
        '',
        `Then make it yours: rename the example entity in ${rel}/src/modules/items/, and commit the folder with the regenerated files.`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`new:subgraph: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
