import { EventEmitter } from 'node:events';
import type { Redis } from './redis';

/**
 * Fire-and-forget notices between services (cache invalidations): Redis pub/sub when there
 * is Redis, and always in-process too, so services sharing a process (npm start, tests)
 * hear each other whichever of them has Redis. At-most-once: listeners must treat a missed
 * notice as possible (which is why caches fed by it also expire).
 */
export interface Notifier {
  publish(channel: string, message: Record<string, unknown>): Promise<void>;
  /** `connected()` is false while the Redis subscription is down: notices may be missed then. */
  subscribe(channel: string, listener: (message: Record<string, unknown>) => void): NoticeSubscription;
}

export interface NoticeSubscription {
  connected(): boolean;
  /**
   * Bumped each time the subscription is (re)established: what was remembered under an older
   * epoch may have missed notices sent while it was down.
   */
  epoch(): number;
  close(): void;
}

const local = new EventEmitter();
local.setMaxListeners(0);

export function createNotifier(redis?: Redis): Notifier {
  return {
    async publish(channel, message) {
      local.emit(channel, message);
      if (redis) await redis.publish(channel, JSON.stringify(message)).catch(() => undefined);
    },
    subscribe(channel, listener) {
      local.on(channel, listener);
      const sub = redis?.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
      let subscribed = false;
      let epoch = 0;
      if (sub) {
        sub.on('error', () => {});
        sub.on('close', () => (subscribed = false));
        sub.on('ready', () => {
          sub.subscribe(channel).then(
            () => {
              epoch += 1;
              subscribed = true;
            },
            () => (subscribed = false),
          );
        });
        sub.on('message', (ch: string, raw: string) => {
          if (ch !== channel) return;
          try {
            listener(JSON.parse(raw) as Record<string, unknown>);
          } catch {
            /* not ours */
          }
        });
      }
      return {
        connected: () => !sub || subscribed,
        epoch: () => epoch,
        close: () => {
          local.off(channel, listener);
          sub?.disconnect();
        },
      };
    },
  };
}

/** The channel on which the tenants subgraph says a user's or key's access changed. */
export const PRINCIPALS_CHANNEL = 'switchboard:principals-changed';
