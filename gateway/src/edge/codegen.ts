/**
 * `npm run codegen`: runs GraphQL Code Generator with codegen.yml, then turns the client
 * preset's persisted-documents map (`{ "sha256:<hex>": body }`) into Apollo's persisted-query
 * manifest, schema/persisted-documents.json:
 *   { "format": "apollo-persisted-query-manifest", "version": 1,
 *     "operations": [{ "id": <sha256 hex of body>, "name", "type", "body" }] }
 * `--out <dir>` writes the same files under another root (the staleness test uses it).
 */
import { generate, loadContext } from '@graphql-codegen/cli';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FORMAT, sha256, type ManifestOperation, type PersistedManifest } from './persisted';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const MANIFEST_PATH = 'schema/persisted-documents.json';
const RAW_MAP = 'persisted-documents.json';

/** Every file codegen produces, by path relative to the repository root. */
export async function codegenOutputs(root = REPO_ROOT): Promise<Map<string, string>> {
  const context = await loadContext(path.join(root, 'codegen.yml'));
  context.cwd = root;
  const outputs = await generate(context, false);
  const files = new Map<string, string>();
  let raw: Record<string, string> | undefined;
  for (const output of outputs) {
    const relative = path.relative(root, path.resolve(root, output.filename));
    if (path.basename(relative) === RAW_MAP) raw = JSON.parse(output.content) as Record<string, string>;
    else files.set(relative, output.content.endsWith('\n') ? output.content : `${output.content}\n`);
  }
  if (!raw) throw new Error(`codegen.yml produced no ${RAW_MAP}: is persistedDocuments on?`);
  files.set(MANIFEST_PATH, `${JSON.stringify(apolloManifest(raw), null, 2)}\n`);
  return files;
}

/** The client preset's `{ "sha256:<hex>": body }` as Apollo's manifest, sorted by name. */
export function apolloManifest(raw: Record<string, string>): PersistedManifest {
  const operations: ManifestOperation[] = Object.entries(raw).map(([hash, body]) => {
    const id = sha256(body);
    if (hash.replace(/^sha256:/, '') !== id) throw new Error(`codegen's hash ${hash} is not the sha256 of its body`);
    const ops = parse(body).definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    if (ops.length !== 1 || !ops[0]!.name) throw new Error(`a persisted document must hold exactly one named operation:\n${body}`);
    return { id, name: ops[0]!.name.value, type: ops[0]!.operation, body };
  });
  operations.sort((a, b) => a.name.localeCompare(b.name));
  const names = new Set<string>();
  for (const op of operations) {
    if (names.has(op.name)) throw new Error(`two operations are named ${op.name}: names must be unique`);
    names.add(op.name);
  }
  return { format: MANIFEST_FORMAT, version: 1, operations };
}

export function writeOutputs(files: Map<string, string>, outRoot: string): string[] {
  const written: string[] = [];
  for (const [relative, content] of files) {
    const file = path.join(outRoot, relative);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
    written.push(file);
  }
  return written;
}

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const outRoot = at >= 0 ? path.resolve(process.argv[at + 1] ?? '.') : REPO_ROOT;
  codegenOutputs()
    .then((files) => {
      for (const f of writeOutputs(files, outRoot)) process.stdout.write(`wrote ${path.relative(process.cwd(), f)}\n`);
    })
    .catch((error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
