/**
 * Reads a `node --cpu-prof` profile (npm run bench with BENCH_CPU_PROF=<dir>) and prints
 * where the busy time went: the top self-time frames, and self time by package
 * (node_modules/<package>, our workspaces, node: internals, GC). Idle samples are left out.
 *
 *   node -r ./scripts/register.cjs bench/src/profile.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file!, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const packageOf = (url: string, name: string): string => {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(gateway|packages\/kit|subgraphs\/[a-z]+|bench)\/src\//.exec(url);
  return m ? `switchboard ${m[1]}` : url;
};

let busy = 0;
const frames = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  if (functionName === '(idle)') continue;
  busy += us;
  const key = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(gateway|packages|subgraphs)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  frames.set(key, (frames.get(key) ?? 0) + us);
  const pkg = packageOf(url, functionName);
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
}
const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const top = Number(topArg ?? 30);
process.stdout.write(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s profiled\n\nTop self time (share of busy time):\n`);
for (const [k, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${k}\n`);
process.stdout.write('\nSelf time by package:\n');
for (const [k, us] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${pct(us)}  ${k}\n`);

// --callers=<function name>: who calls it (the stacks above its samples, 8 frames deep).
const wanted = process.argv.find((a) => a.startsWith('--callers='))?.slice('--callers='.length);
if (wanted) {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stacks = new Map<string, number>();
  let sum = 0;
  for (const [id, us] of self) {
    const cf = byId.get(id)!.callFrame;
    if (cf.functionName !== wanted && !`${cf.url}:${cf.lineNumber + 1}`.includes(wanted)) continue;
    sum += us;
    const chain: string[] = [];
    for (let p = parent.get(id); p !== undefined && chain.length < 8; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      chain.push(`${f.functionName || '(anon)'}@${f.url.replace(/^.*\/(node_modules|src)\//, '')}:${f.lineNumber + 1}`);
    }
    const key = chain.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  process.stdout.write(`\nCallers of ${wanted} (${pct(sum)} of busy time):\n`);
  for (const [k, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`${pct(us)}  ${k}\n`);
}
