import type { Identity, Logger, Redis } from '@switchboard/kit';
import { getNamedType, type ExecutionResult } from 'graphql';
import type { Executor } from './executor';
import { LiveEvents, type LiveEvent } from './live-events';
import { codeError, type Prepared } from './prepare';
import { Subscriber, type SubscriberSocket } from './subscriber';

/** Subscribers with the same document, variables and identity: one execution per event for all of them. */
export interface Group {
  key: string;
  prepared: Prepared;
  source: string;
  variables: Record<string, unknown>;
  args: Record<string, unknown>;
  identity: Identity;
  subscribers: Set<Subscriber>;
  /** Deliveries in event order. */
  tail: Promise<void>;
  unlisten: () => void;
  /** Settles once the tenant's channel is subscribed. */
  ready: Promise<void>;
  isReady: boolean;
}

/**
 * Fan-out: live events from the tenant's channel (Redis pub/sub, or in-process) to groups
 * of subscribers. Each event that matches a group's field and arguments is resolved once
 * for the group — the plan's primary fetch answered from the event's representation, the
 * rest as planned, with the group's identity — and pushed to each subscriber in event order.
 */
export class FanOut {
  private readonly groups = new Map<string, Group>();
  private readonly live: LiveEvents;
  private readonly inflight = new Set<Promise<void>>();
  executions = 0;

  constructor(
    private readonly executor: Executor,
    redis: Redis | undefined,
    private readonly log: Logger,
    /** The live-event connection came back after losing events (LiveEvents' `onGap`). */
    onGap: () => void = () => {},
    /** Seconds from an event's publication to its result being handed to the group's sockets (once per group and event). */
    private readonly onDelivered: (lagSeconds: number) => void = () => {},
  ) {
    this.live = new LiveEvents(redis, (error) => log.warn('live events', { error: (error as Error)?.message }), onGap);
  }

  /** A new subscriber in the group for this document, variables and identity; it hears events once `ready` settles. */
  join(p: Prepared, source: string, variables: Record<string, unknown>, args: Record<string, unknown>, identity: Identity, socket: SubscriberSocket, queueLimit: number, onDone: (s: Subscriber) => void): { subscriber: Subscriber; ready: Promise<void> } {
    const group = this.groupFor(p, source, variables, args, identity);
    const subscriber = new Subscriber(
      socket,
      (s) => {
        group.subscribers.delete(s);
        if (group.subscribers.size === 0 && this.groups.get(group.key) === group) {
          this.groups.delete(group.key);
          group.unlisten();
        }
        onDone(s);
      },
      queueLimit,
    );
    group.subscribers.add(subscriber);
    return { subscriber, ready: group.ready };
  }

  /**
   * Pushes a first value to one new subscriber of a group: the field's entity resolved from
   * `{ __typename, id }` (the field's `@liveInitial` id), queued in the group's event order.
   */
  first(p: Prepared, source: string, variables: Record<string, unknown>, identity: Identity, subscriber: Subscriber, id: string): void {
    const group = this.groups.get(this.keyOf(p, source, variables, identity));
    if (!group) return;
    const event: LiveEvent = { field: p.field.name, representation: { __typename: getNamedType(p.field.type).name, id } };
    this.deliver(group, event, (value) => subscriber.push(value));
  }

  stats() {
    return {
      subscribers: [...this.groups.values()].reduce((n, g) => n + (g.isReady ? g.subscribers.size : 0), 0),
      groups: this.groups.size,
      executions: this.executions,
      channels: this.live.channels(),
    };
  }

  /** Stops hearing events; waits (up to the deadline) for the executions already started. */
  async stop(deadline: number): Promise<void> {
    this.live.close();
    while (this.inflight.size && Date.now() < deadline) await Promise.race([Promise.all([...this.inflight]), delay(deadline - Date.now())]);
  }

  private keyOf(p: Prepared, source: string, variables: Record<string, unknown>, identity: Identity): string {
    const { exp: _exp, ...who } = identity;
    return JSON.stringify([source, p.operationName ?? null, variables, who]);
  }

  private groupFor(p: Prepared, source: string, variables: Record<string, unknown>, args: Record<string, unknown>, identity: Identity): Group {
    const key = this.keyOf(p, source, variables, identity);
    const existing = this.groups.get(key);
    if (existing) return existing;
    const group: Group = { key, prepared: p, source, variables, args, identity, subscribers: new Set(), tail: Promise.resolve(), unlisten: () => {}, ready: Promise.resolve(), isReady: false };
    const listening = this.live.listen(identity.tenantId!, (event) => this.onEvent(group, event));
    group.unlisten = listening.stop;
    group.ready = listening.ready.then(() => void (group.isReady = true));
    this.groups.set(key, group);
    return group;
  }

  private matches(group: Group, event: LiveEvent): boolean {
    if (event.field !== group.prepared.field.name) return false;
    for (const [name, value] of Object.entries(event.args ?? {})) {
      if (!(name in group.args) || String(group.args[name]) !== String(value)) return false;
    }
    return true;
  }

  private onEvent(group: Group, event: LiveEvent): void {
    if (!this.matches(group, event)) return;
    this.deliver(group, event, (value) => {
      for (const subscriber of [...group.subscribers]) subscriber.push(value);
    });
  }

  private deliver(group: Group, event: LiveEvent, push: (value: ExecutionResult) => void): void {
    const result = this.runEvent(group, event).catch((error: unknown) => {
      this.log.error('live event execution failed', { error: (error as Error)?.message, field: event.field });
      return { errors: [codeError('Internal server error', 'INTERNAL_SERVER_ERROR')] } as ExecutionResult;
    });
    const delivered = (group.tail = group.tail
      .then(() => result)
      .then((value) => {
        if (!value) return;
        push(value);
        if (typeof event.publishedAt === 'number') this.onDelivered(Math.max(0, Date.now() - event.publishedAt) / 1000);
      }));
    this.inflight.add(delivered);
    void delivered.finally(() => this.inflight.delete(delivered));
  }

  private async runEvent(group: Group, event: LiveEvent): Promise<ExecutionResult | undefined> {
    const { prepared: p } = group;
    this.executions += 1;
    const context = this.executor.contextFor(group.identity, { live: { representation: event.representation, plan: p.live } });
    const result = await this.executor.run(p.live.plan, p.operationContext, { source: group.source, variables: group.variables, operationName: p.operationName }, context);
    const data = result.data as Record<string, unknown> | null | undefined;
    // An entity the subscriber may not see (or that is gone) answers null: say nothing.
    if (!result.errors?.length && (!data || data[p.live.responseKey] == null)) return undefined;
    return { data: data ?? null, ...(result.errors?.length ? { errors: result.errors } : {}) } as ExecutionResult;
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}
