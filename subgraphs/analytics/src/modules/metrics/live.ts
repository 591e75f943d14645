import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { publishLive, type Identity, type Redis } from '@switchboard/kit';
import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';

/** A tenant's service right now, as liveMetrics pushes it. */
@ObjectType({ description: 'The service right now: pushed by liveMetrics at most once a second per tenant, when something changed.' })
@Directive('@key(fields: "id")')
export class LiveMetrics {
  @Field(() => ID, { description: 'This snapshot (tenant and time).' })
  id!: string;
  tenantId!: string;
  @Field(() => Date, { description: 'When it was computed.' })
  at!: Date;
  @Field(() => Int, { description: 'Tickets open now (not RESOLVED or CLOSED).' })
  backlog!: number;
  @Field(() => Int, { description: 'Conversations QUEUED for an agent now.' })
  waitingCustomers!: number;
  @Field(() => Int, { description: `Agents who wrote or took an assignment in the last ${'15'} minutes.` })
  agentsOnline!: number;
  @Field(() => Int, { description: 'Open tickets AT_RISK of breaching their SLA (not yet breached).' })
  slaAtRisk!: number;
}

export const AGENT_ONLINE_WINDOW_MS = 15 * 60_000;

/** One tenant's live numbers: two statements, over the fact table's partial index and agent activity. */
export async function computeLive(em: EntityManager, schema: string, tenantId: string, now: Date): Promise<LiveMetrics> {
  const conn = em.getConnection();
  const [facts] = (await conn.execute(
    `select count(*) filter (where "kind" = 'ticket' and "open")::int as "backlog",
            count(*) filter (where "kind" = 'conversation' and "waiting")::int as "waiting",
            count(*) filter (where "kind" = 'ticket' and "at_risk")::int as "at_risk"
     from "${schema}"."fact" where "tenant_id" = ? and ("open" or "waiting" or "at_risk")`,
    [tenantId],
    'all',
  )) as any[];
  const [agents] = (await conn.execute(`select count(*)::int as "n" from "${schema}"."agent_activity" where "tenant_id" = ? and "last_at" > ?`, [tenantId, new Date(now.getTime() - AGENT_ONLINE_WINDOW_MS).toISOString()], 'all')) as any[];
  return Object.assign(new LiveMetrics(), {
    id: `${tenantId}:${now.getTime()}`,
    tenantId,
    at: now,
    backlog: Number(facts?.backlog ?? 0),
    waitingCustomers: Number(facts?.waiting ?? 0),
    agentsOnline: Number(agents?.n ?? 0),
    slaAtRisk: Number(facts?.at_risk ?? 0),
  });
}

/**
 * Live metrics: tenants whose events changed something are marked; once a second the ticker
 * computes each marked tenant's numbers once and publishes them as one live event, which
 * carries the whole snapshot in its representation. The gateway resolves every subscriber
 * group from it through `_entities` here, which answers from the representation without a
 * query: one computation per tenant per tick, whatever the number of subscribers.
 */
export class LiveTicker {
  private readonly dirty = new Set<string>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  /** How many snapshots were computed (tests count them). */
  computations = 0;
  private readonly published = new Map<string, string>();
  /** The latest snapshot per tenant (what `liveMetricsNow` answers without computing again). */
  readonly latest = new Map<string, LiveMetrics>();

  constructor(
    private readonly orm: MikroORM,
    private readonly redis: Redis | undefined,
    private readonly intervalMs = 1_000,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  start(): () => Promise<void> {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, this.intervalMs);
    this.timer.unref();
    return async () => {
      clearInterval(this.timer);
      await this.running;
    };
  }

  mark(tenantId: string): void {
    this.dirty.add(tenantId);
  }

  async tick(): Promise<void> {
    const tenants = [...this.dirty];
    this.dirty.clear();
    for (const tenantId of tenants) {
      const snapshot = await this.snapshot(tenantId);
      // Pushed only when a number changed (an event can leave them all as they were).
      const numbers = JSON.stringify([snapshot.backlog, snapshot.waitingCustomers, snapshot.agentsOnline, snapshot.slaAtRisk]);
      if (this.published.get(tenantId) === numbers) continue;
      this.published.set(tenantId, numbers);
      await publishLive(this.redis, tenantId, { field: 'liveMetrics', representation: { __typename: 'LiveMetrics', ...serialize(snapshot) } });
    }
  }

  /** Computes (and remembers) a tenant's snapshot now. */
  async snapshot(tenantId: string): Promise<LiveMetrics> {
    this.computations += 1;
    const snapshot = await computeLive(this.orm.em.fork() as EntityManager, this.orm.config.get('schema') as string, tenantId, this.clock());
    this.latest.set(tenantId, snapshot);
    return snapshot;
  }

  /**
   * The tenant's numbers now, for a new subscriber's first value: the latest snapshot while
   * nothing changed since (and it is under a minute old, for agentsOnline's window), else a
   * new one. Concurrent callers of one tenant share one computation.
   */
  current(tenantId: string): Promise<LiveMetrics> {
    const last = this.latest.get(tenantId);
    if (last && !this.dirty.has(tenantId) && this.clock().getTime() - last.at.getTime() < 60_000) return Promise.resolve(last);
    let pending = this.pending.get(tenantId);
    if (!pending) {
      pending = this.snapshot(tenantId).finally(() => this.pending.delete(tenantId));
      this.pending.set(tenantId, pending);
    }
    return pending;
  }

  private readonly pending = new Map<string, Promise<LiveMetrics>>();
}

const serialize = (s: LiveMetrics) => ({ id: s.id, tenantId: s.tenantId, at: s.at.toISOString(), backlog: s.backlog, waitingCustomers: s.waitingCustomers, agentsOnline: s.agentsOnline, slaAtRisk: s.slaAtRisk });

/** `_entities` for LiveMetrics: the snapshot in the representation, only for its own tenant. */
export function liveMetricsReference(ref: Record<string, unknown>, identity: Identity | undefined): LiveMetrics | null {
  if (!identity?.tenantId || ref.tenantId !== identity.tenantId || typeof ref.at !== 'string') return null;
  return Object.assign(new LiveMetrics(), {
    id: String(ref.id),
    tenantId: identity.tenantId,
    at: new Date(ref.at),
    backlog: Number(ref.backlog),
    waitingCustomers: Number(ref.waitingCustomers),
    agentsOnline: Number(ref.agentsOnline),
    slaAtRisk: Number(ref.slaAtRisk),
  });
}
