import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
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
  /** The process id (its CPU: cpuSeconds; the fault-injection run stops and kills it by this). */
  pid: number;
  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, …); resolves when a killing one has ended the process. */
  signal(signal: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Its log level (default: error). */
  logLevel?: string;
  /** Appends its stdout and stderr (JSON log lines) to this file. */
  logFile?: string;
  /** How long it may take to answer /healthz (default 120 s: a checkout whose TypeScript is not compiled yet starts slowly on a busy machine). */
  startTimeoutMs?: number;
  /** Node flags before the entry (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Another checkout to run the entry from (BENCH_BASELINE). */
  root?: string;
}

/** Starts a TypeScript entry point of this repository (or of another checkout: `root`) in its own Node process and waits for its /healthz. */
export async function startService(entry: string, env: Record<string, string>, port: number, options: ServiceOptions = {}): Promise<Child> {
  const root = options.root ?? ROOT;
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), '-r', path.join(root, 'scripts/register.cjs'), path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: options.logLevel ?? 'error' },
    stdio: ['ignore', options.logFile ? 'pipe' : 'ignore', 'pipe'],
  });
  let stderr = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  if (log) child.stdout?.pipe(log);
  child.stderr?.on('data', (d) => {
    if (stderr.length < 4_000) stderr += d;
    log?.write(d);
  });
  const deadline = Date.now() + (options.startTimeoutMs ?? 120_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${entry} exited: ${stderr.slice(0, 800)}`);
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // no half-started process left behind
      throw new Error(`${entry} did not start within ${Math.round((options.startTimeoutMs ?? 120_000) / 1000)} s: ${stderr.slice(0, 800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    pid: child.pid!,
    signal: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM') await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT'); // a stopped process would never hear the SIGTERM
        child.kill('SIGTERM');
      }
      await exited;
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
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** A process's CPU seconds so far in user space and in the kernel (syscalls: its sockets), from /proc. */
export function cpuTimes(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return { user: 0, system: 0 };
  }
}
