import { liveChannel, localLiveEvents as local, type LiveEvent, type Redis } from '@switchboard/kit';

export { LIVE_CHANNEL_PREFIX, liveChannel, publishLive, type LiveEvent } from '@switchboard/kit';

export type LiveListener = (event: LiveEvent) => void;

/**
 * The gateway's side of the fan-out: one Redis subscriber connection per process, channels
 * reference-counted (SUBSCRIBE on a tenant's first listener, UNSUBSCRIBE after its last);
 * in-process when there is no Redis. Modelled on the kit's notifier.
 */
export class LiveEvents {
  private readonly listeners = new Map<string, Set<LiveListener>>();
  /** Redis SUBSCRIBE of each channel, settled once acknowledged (or failed: then ioredis resubscribes on reconnect). */
  private readonly subscribed = new Map<string, Promise<void>>();
  private readonly sub: Redis | undefined;
  private closed = false;

  /**
   * `onGap`: the Redis connection was lost and is back (its channels subscribed again).
   * Pub/sub keeps nothing, so whatever was published meanwhile is gone: subscribers must be
   * told to catch up (the server closes their sockets with 1013, see server.ts).
   */
  constructor(
    redis: Redis | undefined,
    private readonly onError: (error: unknown) => void = () => {},
    private readonly onGap: () => void = () => {},
  ) {
    this.sub = redis?.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined });
    if (this.sub) {
      const sub = this.sub;
      sub.on('error', () => {});
      // After a reconnect, ioredis resubscribes by itself (autoResubscribe); once that is
      // acknowledged (a SUBSCRIBE of the same channels answers after it), the gap is over.
      let wasReady = false;
      let lost = false;
      sub.on('ready', () => {
        if (!wasReady) {
          wasReady = true;
          return;
        }
        if (!lost || this.closed) return;
        lost = false;
        const channels = [...this.listeners.keys()];
        (channels.length ? sub.subscribe(...channels) : Promise.resolve()).then(
          () => !this.closed && this.onGap(),
          (error) => this.onError(error),
        );
      });
      sub.on('close', () => {
        if (wasReady) lost = true;
      });
      sub.on('message', (channel: string, raw: string) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(raw) as LiveEvent;
        } catch {
          return; // not ours
        }
        this.dispatch(channel, event);
      });
    }
  }

  /**
   * Listens to a tenant's events until `stop` is called. `ready` resolves once the channel
   * is subscribed (on Redis: SUBSCRIBE acknowledged), so nothing published after it is missed.
   */
  listen(tenantId: string, listener: LiveListener): { ready: Promise<void>; stop: () => void } {
    if (this.closed) throw new Error('LiveEvents closed');
    const channel = liveChannel(tenantId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      if (this.sub) {
        this.subscribed.set(
          channel,
          this.sub.subscribe(channel).then(
            () => undefined,
            (error) => this.onError(error),
          ),
        );
      } else local.on(channel, this.localHandler(channel));
    }
    set.add(listener);
    let done = false;
    const ready = this.subscribed.get(channel) ?? Promise.resolve();
    const stop = () => {
      if (done) return;
      done = true;
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        this.subscribed.delete(channel);
        if (this.sub) {
          if (!this.closed) this.sub.unsubscribe(channel).catch((error) => this.onError(error));
        } else local.off(channel, this.localHandler(channel));
      }
    };
    return { ready, stop };
  }

  /** Channels listened to now (for tests and metrics). */
  channels(): string[] {
    return [...this.listeners.keys()];
  }

  /** Stops hearing events (listeners stay registered but receive nothing more). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.listeners.keys()) if (!this.sub) local.off(channel, this.localHandler(channel));
    this.listeners.clear();
    this.sub?.disconnect();
  }

  private readonly handlers = new Map<string, (event: LiveEvent) => void>();
  private localHandler(channel: string): (event: LiveEvent) => void {
    let handler = this.handlers.get(channel);
    if (!handler) {
      handler = (event) => this.dispatch(channel, event);
      this.handlers.set(channel, handler);
    }
    return handler;
  }

  private dispatch(channel: string, event: LiveEvent): void {
    if (this.closed || !isLiveEvent(event)) return;
    for (const listener of [...(this.listeners.get(channel) ?? [])]) {
      try {
        listener(event);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}

function isLiveEvent(value: unknown): value is LiveEvent {
  const event = value as LiveEvent;
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.field === 'string' &&
    typeof event.representation === 'object' &&
    event.representation !== null &&
    typeof event.representation.__typename === 'string' &&
    (event.args === undefined || (typeof event.args === 'object' && event.args !== null))
  );
}
