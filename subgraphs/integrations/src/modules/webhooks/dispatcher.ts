import type { MikroORM } from '@mikro-orm/postgresql';
import { SpanKind, emitEvent, runDetached, withSpanFrom, type Logger, type Metrics } from '@switchboard/kit';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ENDPOINT_PAUSED } from './catalogue';
import { WebhookDeliveryStatus, type StoredAttempt } from './delivery.entity';
import { WebhookEndpointStatus } from './endpoint.entity';
import type { Owner, SelectionResolver } from './selection';
import { signatureHeader, type SecretBox } from './signing';
import { checkUrlShape, resolveAndCheck, type UrlPolicy } from './url-guard';

export interface DispatcherOptions {
  orm: MikroORM;
  clock: () => Date;
  urls: UrlPolicy;
  secrets: SecretBox;
  selections?: SelectionResolver;
  logger: Logger;
  metrics: Metrics;
  retryBaseMs: number;
  retryWindowMs: number;
  pauseAfterFailures: number;
  timeoutMs: number;
  pollMs: number;
  /** 0..1; tests pin it. */
  random?: () => number;
}

export interface Dispatcher {
  /** Something may be due: look now rather than at the next poll. */
  wake(): void;
  /** One pass: sends every delivery that is due and first in its line; answers how many were attempted. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

const BATCH = 20;
const MAX_BACKOFF_MS = 3_600_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Attempt n (1-based) failed: wait base · 2^(n-1), capped at an hour, with "equal jitter" (half fixed, half random). */
export function retryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exp = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(30, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

function metricsFor(metrics: Metrics, pausedEndpoints: () => Promise<number>) {
  const registry = metrics.registry;
  if (!registry.getSingleMetric('webhook_endpoints_paused')) {
    new Gauge({
      name: 'webhook_endpoints_paused',
      help: 'Webhook endpoints that are PAUSED (by hand or after consecutive failures), all tenants; read at scrape time',
      registers: [registry],
      async collect() {
        this.set(await pausedEndpoints().catch(() => 0));
      },
    });
  }
  return {
    lag:
      (registry.getSingleMetric('webhook_delivery_lag_seconds') as Histogram | undefined) ??
      new Histogram({
        name: 'webhook_delivery_lag_seconds',
        help: 'From the event (occurredAt) to the delivery its endpoint accepted: queueing, retries and pauses included',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600, 86400],
        registers: [registry],
      }),
    deliveries:
      (registry.getSingleMetric('webhook_deliveries_total') as Counter<'result'> | undefined) ??
      new Counter({ name: 'webhook_deliveries_total', help: 'Webhook delivery attempts by result (succeeded, failed, refused, timeout)', labelNames: ['result'], registers: [registry] }),
    duration:
      (registry.getSingleMetric('webhook_delivery_duration_seconds') as Histogram | undefined) ??
      new Histogram({
        name: 'webhook_delivery_duration_seconds',
        help: 'Time from sending a webhook to its answer (or failure)',
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
        registers: [registry],
      }),
  };
}

interface Claimed {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  /** The event as consumed: its `traceparent` (the emitting request's trace) included. */
  event: { id: string; type: string; occurredAt: string; data: unknown; traceparent?: string };
  attempt_log: StoredAttempt[];
  created_at: Date | string;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | string | null;
  selection: string | null;
  owner: Owner | null;
}

interface Outcome {
  ok: boolean;
  responseStatus: number | null;
  error: string | null;
  result: 'succeeded' | 'failed' | 'refused' | 'timeout';
}

/**
 * Sends deliveries. A pass picks, per (endpoint, ticket or conversation), only the oldest
 * open delivery, and only if it is due and its endpoint ACTIVE — so events about one ticket
 * arrive in order, and a failing one holds up only its own line. Each is claimed (locked
 * for a few timeouts) with a conditional UPDATE, so replicas never send one twice at once.
 * A 2xx settles it (SUCCEEDED: not sent again unless redelivered); anything else schedules
 * a retry with backoff and jitter until the retry window is over (FAILED), and counts
 * toward the endpoint's pause.
 */
export function startDispatcher(options: DispatcherOptions): Dispatcher {
  const { orm, clock, logger } = options;
  const s = `"${orm.config.get('schema')}"`;
  const random = options.random ?? Math.random;
  const counters = metricsFor(options.metrics, async () => {
    const [row] = await orm.em.fork().getConnection().execute<{ n: string | number }[]>(`select count(*) as n from ${s}."webhook_endpoint" where status = 'PAUSED'`);
    return Number(row?.n ?? 0);
  });
  let stopped = false;
  let wakeUp: () => void = () => {};
  let woken = false;
  let running: Promise<number> | undefined;

  const execute = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => orm.em.getConnection().execute<T[]>(sql, params);

  async function claim(): Promise<Claimed[]> {
    const now = clock();
    const lockUntil = new Date(now.getTime() + options.timeoutMs * 3 + 1_000);
    const heads = await execute<{ id: string }>(
      `select d.id from ${s}."webhook_delivery" d join ${s}."webhook_endpoint" e on e.id = d.endpoint_id
        where d.status in ('PENDING', 'RETRYING') and e.status = 'ACTIVE' and d.next_attempt_at <= ?
          and (d.locked_until is null or d.locked_until < ?)
          and not exists (select 1 from ${s}."webhook_delivery" p
                           where p.endpoint_id = d.endpoint_id and p.order_key = d.order_key
                             and p.status in ('PENDING', 'RETRYING') and p.seq < d.seq)
        order by d.seq limit ${BATCH}`,
      [now, now],
    );
    if (!heads.length) return [];
    const ids = heads.map((h) => h.id);
    const claimed = await execute<{ id: string }>(
      `update ${s}."webhook_delivery" set locked_until = ? where id in (${ids.map(() => '?').join(',')}) and (locked_until is null or locked_until < ?) returning id`,
      [lockUntil, ...ids, now],
    );
    if (!claimed.length) return [];
    return execute<Claimed>(
      `select d.id, d.tenant_id, d.endpoint_id, d.event, d.attempt_log, d.created_at, e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at, e.selection, e.owner
         from ${s}."webhook_delivery" d join ${s}."webhook_endpoint" e on e.id = d.endpoint_id
        where d.id in (${claimed.map(() => '?').join(',')}) order by d.seq`,
      claimed.map((c) => c.id),
    );
  }

  function signingSecrets(row: Claimed, now: Date): string[] {
    const secrets = [options.secrets.open(row.secret_sealed)];
    if (row.previous_secret_sealed && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at) > now) {
      secrets.push(options.secrets.open(row.previous_secret_sealed));
    }
    return secrets;
  }

  async function send(row: Claimed): Promise<Outcome> {
    const now = clock();
    let url: URL;
    let addresses: { address: string; family: 4 | 6 }[];
    try {
      // Checked again at every delivery, and the connection goes to the address checked (no DNS rebinding).
      url = checkUrlShape(row.url, options.urls);
      addresses = await resolveAndCheck(url, options.urls);
    } catch (error) {
      return { ok: false, responseStatus: null, error: `refused: ${(error as Error).message}`, result: 'refused' };
    }
    let data = row.event.data;
    if (row.selection && row.owner && options.selections) {
      try {
        data = await options.selections.resolve(row.selection, row.event.type, row.event.data as Record<string, unknown>, row.tenant_id, row.owner);
      } catch (error) {
        return { ok: false, responseStatus: null, error: (error as Error).message, result: 'failed' };
      }
    }
    const body = JSON.stringify({ id: row.event.id, type: row.event.type, occurredAt: row.event.occurredAt, data });
    const timestamp = Math.floor(now.getTime() / 1000);
    const headers = {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Switchboard-Webhooks/1',
      'switchboard-signature': signatureHeader(signingSecrets(row, now), timestamp, body),
      'switchboard-event-id': row.event.id,
      'switchboard-delivery-id': row.id,
      'switchboard-event-type': row.event.type,
    };
    const pinned = addresses[0]!;
    const lookup: LookupFunction = (_hostname, opts, callback) => {
      if ((opts as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
      else callback(null, pinned.address, pinned.family);
    };
    return new Promise<Outcome>((resolve) => {
      let settled = false;
      const done = (o: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(o);
      };
      const request = (url.protocol === 'https:' ? https : http).request(url, { method: 'POST', headers, lookup, agent: false }, (res) => {
        let received = 0;
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > MAX_RESPONSE_BYTES) res.destroy();
        });
        const finish = () => {
          const status = res.statusCode ?? 0;
          const ok = status >= 200 && status < 300;
          done({ ok, responseStatus: status, error: ok ? null : `HTTP ${status}`, result: ok ? 'succeeded' : 'failed' });
        };
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const timer = setTimeout(() => {
        request.destroy();
        done({ ok: false, responseStatus: null, error: `timeout after ${options.timeoutMs} ms`, result: 'timeout' });
      }, options.timeoutMs);
      request.on('error', (error) => done({ ok: false, responseStatus: null, error: (error as NodeJS.ErrnoException).code ?? error.message, result: 'failed' }));
      request.end(body);
    });
  }

  async function settle(row: Claimed, outcome: Outcome, latencyMs: number): Promise<void> {
    const now = clock();
    const attempt: StoredAttempt = { at: now.toISOString(), responseStatus: outcome.responseStatus, latencyMs, error: outcome.error };
    const attempts = [...(row.attempt_log ?? []), attempt];
    const fork = orm.em.fork();
    await fork.transactional(async (tx) => {
      const run = (sql: string, params: unknown[]) => tx.getConnection().execute(sql, params, 'all', tx.getTransactionContext());
      if (outcome.ok) {
        await run(`update ${s}."webhook_delivery" set status = 'SUCCEEDED', attempt_log = ?::jsonb, locked_until = null where id = ?`, [JSON.stringify(attempts), row.id]);
        await run(`update ${s}."webhook_endpoint" set consecutive_failures = 0 where id = ?`, [row.endpoint_id]);
        return;
      }
      const expired = now.getTime() - new Date(row.created_at).getTime() >= options.retryWindowMs;
      const next = new Date(now.getTime() + retryDelay(attempts.length, options.retryBaseMs, random));
      await run(`update ${s}."webhook_delivery" set status = ?, attempt_log = ?::jsonb, next_attempt_at = ?, locked_until = null where id = ?`, [
        expired ? WebhookDeliveryStatus.FAILED : WebhookDeliveryStatus.RETRYING,
        JSON.stringify(attempts),
        next,
        row.id,
      ]);
      const [endpoint] = (await run(`update ${s}."webhook_endpoint" set consecutive_failures = consecutive_failures + 1 where id = ? returning consecutive_failures, status, url`, [
        row.endpoint_id,
      ])) as { consecutive_failures: number; status: string; url: string }[];
      if (endpoint && endpoint.status === WebhookEndpointStatus.ACTIVE && endpoint.consecutive_failures >= options.pauseAfterFailures) {
        await run(`update ${s}."webhook_endpoint" set status = 'PAUSED' where id = ?`, [row.endpoint_id]);
        // The tenant is told by an event (analytics, subscriptions and other endpoints can use it).
        emitEvent(tx, ENDPOINT_PAUSED, row.tenant_id, {
          id: row.endpoint_id,
          url: endpoint.url,
          consecutiveFailures: endpoint.consecutive_failures,
          lastError: outcome.error,
          reason: 'consecutive_failures',
        });
        logger.warn('webhook endpoint paused after consecutive failures', { tenantId: row.tenant_id, endpointId: row.endpoint_id, failures: endpoint.consecutive_failures });
      }
    });
  }

  async function deliver(row: Claimed): Promise<void> {
    // Every attempt is a span in the trace of the request that emitted the event.
    const attributes = { 'webhook.endpoint_id': row.endpoint_id, 'webhook.delivery_id': row.id, 'webhook.event_type': row.event.type, 'messaging.message.id': row.event.id, 'tenant.id': row.tenant_id };
    await withSpanFrom(row.event.traceparent, 'webhook.deliver', attributes, async (span) => {
      const started = performance.now();
      const outcome = await send(row);
      const latency = performance.now() - started;
      counters.deliveries.inc({ result: outcome.result });
      counters.duration.observe(latency / 1000);
      if (outcome.ok) counters.lag.observe(Math.max(0, clock().getTime() - Date.parse(row.event.occurredAt)) / 1000);
      span.setAttribute('http.response.status_code', outcome.responseStatus ?? 0);
      await settle(row, outcome, Math.round(latency));
    }, SpanKind.CLIENT);
  }

  async function runOnce(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const rows = await claim();
      if (!rows.length) return attempted;
      await Promise.all(
        rows.map((row) =>
          deliver(row).catch((error) => {
            logger.error('webhook delivery bookkeeping failed', { deliveryId: row.id, error });
          }),
        ),
      );
      attempted += rows.length;
      if (stopped) return attempted;
    }
  }

  const loop = runDetached(async () => {
    while (!stopped) {
      try {
        running = runOnce();
        await running;
      } catch (error) {
        if (!stopped) logger.warn('webhook dispatch pass failed', { error });
      }
      if (stopped) break;
      if (woken) {
        woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.pollMs);
        timer.unref?.();
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = () => {};
    }
  });

  return {
    wake() {
      woken = true;
      wakeUp();
    },
    runOnce,
    async stop() {
      stopped = true;
      wakeUp();
      await loop;
    },
  };
}
