/**
 * The load generator runs in a worker thread, so it never shares an event loop with a
 * server it measures. Receives { url, headers, body, connections, seconds }; posts back a
 * Measurement.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measure } from './measure';

const { url, headers, body, connections, seconds } = workerData as { url: string; headers: Record<string, string>; body: string; connections: number; seconds: number };
measure(url, headers, body, { connections, seconds }).then(
  (m) => parentPort!.postMessage({ ok: true, m }),
  (error: Error) => parentPort!.postMessage({ ok: false, error: error.message }),
);
