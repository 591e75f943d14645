/**
 * The load generator runs in a worker thread, so it never shares an event loop with a
 * server it measures. Receives { url, load, body, connections, seconds } (autocannon) or
 * { steps, load, seconds } (one connection, a sequence of requests); posts back a Measurement.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { measure, measureSequence, type Callers, type Step } from './measure';

const data = workerData as { url: string; load: Callers; body: string; connections: number; seconds: number; steps?: Step[] };
(data.steps ? measureSequence(data.steps, data.load, data.seconds) : measure(data.url, data.load, data.body, data)).then(
  (m) => parentPort!.postMessage({ ok: true, m }),
  (error: Error) => parentPort!.postMessage({ ok: false, error: error.message }),
);
