import Redis, { type RedisOptions } from 'ioredis';

/**
 * A Redis client for request paths: it never queues commands while disconnected and
 * gives up on a command quickly, so a Redis outage costs a request one fast failure
 * (which callers count and route around), never a hang. It reconnects by itself.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...options,
  });
  // Errors surface on the commands that fail; an 'error' listener keeps ioredis from
  // printing every reconnect attempt as an unhandled error event.
  client.on('error', () => {});
  return client;
}

/** Resolves once the client is ready, or after `timeoutMs` (then it keeps trying in the background). */
export async function redisReady(client: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    const onReady = () => done(true);
    function done(ok: boolean) {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    }
    client.once('ready', onReady);
  });
}

export type { Redis };
