import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Callers, Measurement, Step } from './measure';

const ROOT = path.resolve(__dirname, '../..');
const REGISTER = path.join(ROOT, 'scripts/register.cjs');

export async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface Child {
  url: string;
  /** Its process id (for the CPU it spends: cpuSeconds). */
  pid: number;
  stop(): Promise<void>;
}

/** Starts a TypeScript entry point of this repository (or of another checkout: `root`) in its own Node process and waits for its /healthz. */
export async function startService(entry: string, env: Record<string, string>, port: number, nodeArgs: string[] = [], root = ROOT): Promise<Child> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '-r', path.join(root, 'scripts/register.cjs'), path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${entry} exited: ${stderr.slice(0, 800)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 1200) {
      // Two minutes: a checkout whose TypeScript is not compiled yet starts slowly on a busy machine.
      child.kill('SIGTERM');
      throw new Error(`${entry} did not start: ${stderr.slice(0, 800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Runs one measurement in a worker thread: autocannon, or with `steps` a one-connection sequence. */
export function measureInWorker(
  url: string,
  load: Callers,
  body: string,
  options: { connections: number; seconds: number; steps?: Step[] },
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(
      `require(${JSON.stringify(REGISTER)}); require(${JSON.stringify(path.join(__dirname, 'load-worker.ts'))});`,
      { eval: true, workerData: { url, load, body, ...options } },
    );
    worker.once('message', (msg: { ok: boolean; m?: Measurement; error?: string }) => (msg.ok ? resolve(msg.m!) : reject(new Error(msg.error))));
    worker.once('error', reject);
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc (0 where there is none). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}
