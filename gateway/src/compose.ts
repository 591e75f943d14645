import { composeServices } from '@apollo/composition';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadRegistry, type RegisteredSubgraph } from '@switchboard/kit';
import { parse } from 'graphql';
import { writeDeploymentFiles } from './deploy';
import { assertPartialDataSafe } from './partial-data';

/**
 * The subgraphs that make up the supergraph, from the registry (each subgraph's
 * `src/subgraph.ts`), with the URL recorded in it: where `npm start` runs them. Deployments
 * override each with `<NAME>_URL`.
 */
export function supergraphSubgraphs(registry: RegisteredSubgraph[] = loadRegistry()): { name: string; url: string; sdl: () => Promise<string> }[] {
  return registry.map((s) => ({ name: s.name, url: `http://127.0.0.1:${s.port}/graphql`, sdl: async () => (await s.schema()).sdl }));
}

export const SCHEMA_DIR = path.resolve(__dirname, '../../schema');

export interface Composition {
  subgraphs: { name: string; sdl: string }[];
  supergraph: string;
}

/**
 * Prints every registered subgraph's SDL and composes the supergraph; throws with every
 * composition error, and when a field one subgraph contributes to another's entity is
 * non-null (partial-data.ts: it would wipe its parent while that subgraph is down).
 */
export async function composeSupergraph(registry: RegisteredSubgraph[] = loadRegistry()): Promise<Composition> {
  const subgraphs = await Promise.all(supergraphSubgraphs(registry).map(async (s) => ({ name: s.name, url: s.url, sdl: await s.sdl() })));
  const result = composeServices(subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })));
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  assertPartialDataSafe(result.supergraphSdl);
  return {
    subgraphs: subgraphs.map(({ name, sdl }) => ({ name, sdl: `${sdl.trim()}\n` })),
    supergraph: `${result.supergraphSdl.trim()}\n`,
  };
}

export function writeComposition(composition: Composition, dir = SCHEMA_DIR): string[] {
  mkdirSync(path.join(dir, 'subgraphs'), { recursive: true });
  const written: string[] = [];
  for (const s of composition.subgraphs) {
    const file = path.join(dir, 'subgraphs', `${s.name}.graphql`);
    writeFileSync(file, s.sdl);
    written.push(file);
  }
  const file = path.join(dir, 'supergraph.graphql');
  writeFileSync(file, composition.supergraph);
  written.push(file);
  return written;
}

export function readCheckedIn(name: string, dir = SCHEMA_DIR): string {
  return readFileSync(path.join(dir, name), 'utf8');
}

if (require.main === module) {
  composeSupergraph()
    .then((c) => {
      for (const f of [...writeComposition(c), ...writeDeploymentFiles(loadRegistry())]) process.stdout.write(`wrote ${path.relative(process.cwd(), f)}\n`);
    })
    .catch((error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
