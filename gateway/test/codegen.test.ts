import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Kind, parse } from 'graphql';
import type { PersistedManifest } from '../src/edge/persisted';

const ROOT = path.resolve(__dirname, '../..');
const GENERATED = 'schema/operations/generated';
const MANIFEST = 'schema/persisted-documents.json';

/** Every file under `dir`, relative to `root`. */
function files(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

describe('npm run codegen (checked-in output)', () => {
  let out: string;
  beforeAll(() => {
    // What `npm run codegen` writes, regenerated into a temporary root (a child process:
    // GraphQL Code Generator loads its presets with dynamic import()).
    out = mkdtempSync(path.join(tmpdir(), 'codegen-'));
    execFileSync(process.execPath, ['-r', './scripts/register.cjs', 'gateway/src/edge/codegen.ts', '--out', out], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, NODE_OPTIONS: '' } });
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('is up to date: the typed documents and the manifest match what codegen makes now', () => {
    const fresh = [...files(out, GENERATED), MANIFEST];
    expect(files(ROOT, GENERATED).concat(MANIFEST)).toEqual(fresh);
    const stale = fresh.filter((f) => readFileSync(path.join(ROOT, f), 'utf8') !== readFileSync(path.join(out, f), 'utf8'));
    if (stale.length) throw new Error(`Stale codegen output (${stale.join(', ')}): run \`npm run codegen\` and commit the result`);
  });

  it('writes Apollo’s manifest format with sha256 ids, one named operation per entry, for every operation file', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, MANIFEST), 'utf8')) as PersistedManifest;
    expect(manifest.format).toBe('apollo-persisted-query-manifest');
    expect(manifest.version).toBe(1);
    for (const op of manifest.operations) {
      expect(Object.keys(op).sort()).toEqual(['body', 'id', 'name', 'type']);
      expect(op.id).toBe(createHash('sha256').update(op.body).digest('hex'));
      const ops = parse(op.body).definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
      expect(ops.map((d) => d.kind === Kind.OPERATION_DEFINITION && [d.operation, d.name?.value])).toEqual([[op.type, op.name]]);
    }
    const declared = readdirSync(path.join(ROOT, 'schema/operations'))
      .filter((f) => f.endsWith('.graphql'))
      .flatMap((f) => [...readFileSync(path.join(ROOT, 'schema/operations', f), 'utf8').matchAll(/^(?:query|mutation|subscription)\s+(\w+)/gm)].map((m) => m[1]));
    expect(manifest.operations.map((o) => o.name).sort()).toEqual(declared.sort());
  });
});
