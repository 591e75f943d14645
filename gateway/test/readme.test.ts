import { commonEnv, loadRegistry } from '@switchboard/kit';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gatewayEnv } from '../src/env';

/** The README and docs/ stand on their own: a clone has everything they point at. */
const ROOT = path.resolve(__dirname, '../..');
const docs = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const read = (f: string) => readFileSync(path.join(ROOT, f), 'utf8');

describe('README.md and docs/', () => {
  it('point only at files inside the repository', () => {
    for (const doc of docs) {
      const text = read(doc);
      expect({ doc, outside: text.match(/\.\.\/[\w./-]+/g) ?? [] }).toEqual({ doc, outside: [] });
      const mentioned = [...text.matchAll(/`((?:docs|schema|gateway|packages|subgraphs|templates|bench|scripts)\/[\w./-]+\.(?:md|ts|json|graphql|cjs))`/g)].map((m) => m[1]!);
      expect({ doc, missing: mentioned.filter((f) => !f.includes('<') && !existsSync(path.join(ROOT, f))) }).toEqual({ doc, missing: [] });
    }
  });

  it('list every environment variable a service reads', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Adding a subgraph'));
    const variables = new Set<string>();
    for (const spec of [commonEnv, gatewayEnv, ...loadRegistry().map((s) => s.env)]) for (const name of Object.keys(spec)) variables.add(name);
    variables.delete('SUBGRAPH_URLS'); // not a variable: the `<NAME>_URL`s, collected
    // Each subgraph's port variable is the `<NAME>_PORT` row (a new subgraph needs no README edit).
    for (const s of loadRegistry()) variables.delete(s.portVariable);
    expect(table).toContain('`<NAME>_PORT`');
    expect(table).toContain('`<NAME>_URL`');
    const missing = [...variables].filter((v) => !table.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });
});
