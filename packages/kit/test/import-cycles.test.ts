import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * No import cycles in the project's own code: every workspace's src/, following relative
 * imports and @switchboard/* package imports (type-only imports included — a cycle of types
 * is still a cycle a reader has to untangle). Fails with the modules of each cycle.
 */

const root = resolve(__dirname, '../../..');

function workspaces(): Map<string, string> {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const byName = new Map<string, string>();
  for (const pattern of rootPkg.workspaces) {
    const dirs = pattern.endsWith('/*') ? readdirSync(join(root, pattern.slice(0, -2))).map((d) => join(root, pattern.slice(0, -2), d)) : [join(root, pattern)];
    for (const dir of dirs) {
      const pkgFile = join(dir, 'package.json');
      if (!existsSync(pkgFile)) continue;
      byName.set((JSON.parse(readFileSync(pkgFile, 'utf8')) as { name: string }).name, dir);
    }
  }
  return byName;
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules') continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry) && !entry.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function resolveFile(base: string): string | null {
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return null;
}

/** Module specifiers of import/export-from statements, require() and import(). Comments are stripped first. */
export function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

function graph(): Map<string, string[]> {
  const packages = workspaces();
  const files = [...packages.values()].flatMap((dir) => sourceFiles(join(dir, 'src')));
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const targets: string[] = [];
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      let target: string | null = null;
      if (spec.startsWith('.')) target = resolveFile(resolve(dirname(file), spec));
      else if (spec.startsWith('@switchboard/')) {
        const [scope, name, ...rest] = spec.split('/');
        const dir = packages.get(`${scope}/${name}`);
        if (!dir) continue;
        if (rest.length) target = resolveFile(join(dir, ...rest));
        else {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { main?: string };
          target = resolveFile(join(dir, pkg.main ?? 'src/index.ts'));
        }
      }
      if (target) targets.push(target);
    }
    edges.set(file, targets);
  }
  return edges;
}

/** Strongly connected components with more than one module (or a module importing itself): Tarjan. */
export function cycles(edges: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (edges.get(v) ?? []).includes(v)) found.push(component);
    }
  };
  for (const v of edges.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

describe('import cycles', () => {
  it('finds a cycle when there is one (the detector itself)', () => {
    const e = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(cycles(e).map((c) => c.sort())).toEqual([['a', 'b', 'c']]);
    expect(specifiers(`import type { X } from './x';\nexport * from "./y";\n// import './z';\nconst p = require('./w');\nimport './side';`).sort()).toEqual(['./side', './w', './x', './y']);
  });

  it('has none in any workspace’s src/', () => {
    const edges = graph();
    expect(edges.size).toBeGreaterThan(50);
    const found = cycles(edges).map((c) => c.map((f) => relative(root, f)).sort());
    expect(found).toEqual([]);
  });
});
