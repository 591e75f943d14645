import Redis, { type RedisOptions } from 'ioredis';

/**
 * A Redis client for request paths: it never queues commands while disconnected and
 * gives up on a command quickly, so a Redis outage costs a request one fast failure
 * (which callers count and route around), never a hang. It reconnects by itself.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const sentinel = sentinelOptions(url);
  const defaults: RedisOptions = {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  };
  const client = sentinel ? new Redis({ ...defaults, ...sentinel, ...options }) : new Redis(url, { ...defaults, ...options });
  // Errors surface on the commands that fail; an 'error' listener keeps ioredis from
  // printing every reconnect attempt as an unhandled error event.
  client.on('error', () => {});
  return client;
}

/**
 * `redis+sentinel://[:password@]host:port/<master name>[/<db>]?sentinels=host2:port,host3:port`:
 * Redis behind Sentinel — the client asks the sentinels for the current primary and follows
 * a failover by itself. Anything else is a plain `redis://` / `rediss://` URL.
 */
export function sentinelOptions(url: string): RedisOptions | undefined {
  if (!url.startsWith('redis+sentinel:')) return undefined;
  const u = new URL(url);
  const hostPort = (hp: string) => {
    const [host, port] = hp.split(':');
    return { host: host!, port: Number(port || 26379) };
  };
  const [name, db] = u.pathname.split('/').filter(Boolean);
  if (!name) throw new Error('redis+sentinel:// URL needs the master name as its path (redis+sentinel://host:26379/mymaster)');
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  return {
    sentinels: [hostPort(u.host), ...(u.searchParams.get('sentinels') ?? '').split(',').filter(Boolean).map(hostPort)],
    name,
    ...(db ? { db: Number(db) } : {}),
    ...(password ? { password, sentinelPassword: password } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
  };
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
