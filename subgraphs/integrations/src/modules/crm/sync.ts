import type { MikroORM } from '@mikro-orm/postgresql';
import { runDetached, withSpan, type DomainEvent, type EntityManager, type EventConsumer, type Logger, type Metrics } from '@switchboard/kit';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import type { ConversationsClient } from '../channels/conversations-client';
import type { SecretBox } from '../webhooks/signing';
import { CrmConnector, CrmConnectorStatus, CrmContactLink } from './crm.entity';
import { HubSpotClient, HubSpotError, fromHubSpot, modifiedAtOf, type ContactValues, type HubSpotContact } from './hubspot';

export const CRM_GROUP = 'integrations.crm';

export interface CrmSyncOptions {
  orm: MikroORM;
  conversations: ConversationsClient;
  secrets: SecretBox;
  clock: () => Date;
  logger: Logger;
  metrics: Metrics;
  hubSpotBaseUrl: string;
  timeoutMs: number;
  /** How often every connector pulls the CRM's changes. */
  intervalMs: number;
}

export interface CrmSyncResult {
  pushed: number;
  pulled: number;
  /** Changes on both sides since the last sync: the later one won (the other side was overwritten). */
  conflicts: number;
}

export interface CrmSync {
  /** One pull of the connector's CRM changes (and the pushes its conflicts call for); null when another pull of it runs or it is not ACTIVE. */
  pull(connectorId: string, tenantId: string): Promise<CrmSyncResult | null>;
  /** Our contact → every ACTIVE connector of its tenant. */
  push(tenantId: string, contactId: string): Promise<CrmSyncResult>;
  stop(): Promise<void>;
}

interface LocalContact extends ContactValues {
  id: string;
  updatedAt: string;
}

const CONTACT = `query($id: ID!) { contact(id: $id) { id name email phone updatedAt } }`;
const SAVE = `mutation($input: SaveContactInput!) { saveContact(input: $input) { created applied contact { id name email phone updatedAt } } }`;
/** HubSpot's search index trails its writes by a few seconds: each pull looks back this far, and the hashes drop what was seen. */
const PULL_OVERLAP_MS = 30_000;
const MAX_PAGES = 50;

/** What both sides hold, as one comparable value. */
export function valuesHash(v: ContactValues): string {
  return createHash('sha256').update(JSON.stringify([v.name ?? null, v.email ?? null, v.phone ?? null])).digest('hex').slice(0, 32);
}

const same = (a: ContactValues, b: ContactValues) => valuesHash(a) === valuesHash(b);

function counterOf(metrics: Metrics): Counter<'direction' | 'result'> {
  const registry = metrics.registry;
  return (
    (registry.getSingleMetric('crm_sync_contacts_total') as Counter<'direction' | 'result'> | undefined) ??
    new Counter({ name: 'crm_sync_contacts_total', help: 'Contacts written by CRM sync, by direction (push: to the CRM, pull: from it) and result (written, conflict, failed)', labelNames: ['direction', 'result'], registers: [registry] })
  );
}

/**
 * Two-way contact sync with a CRM (HubSpot's contacts API).
 *
 * - **Push** (ours → CRM): on `conversation.started`, `contact.created` and `contact.updated`,
 *   the contact is read from conversations and written to every ACTIVE connector of its tenant
 *   (created there, or linked to the CRM contact with the same email, or PATCHed).
 * - **Pull** (CRM → ours): every `intervalMs`, a connector asks the CRM for contacts changed
 *   since its last pull (`lastmodifieddate`, oldest first) and writes them with conversations'
 *   `saveContact`, creating contacts it does not know (matched by email first).
 * - **Conflicts** — both sides changed since they were last made equal — go to the later
 *   change by last-modified time (our `updatedAt`, HubSpot's `updatedAt`); the earlier one is
 *   overwritten. `saveContact(modifiedAt)` enforces the same rule on our side, so a change
 *   made while a sync is in flight is never overwritten by an older one.
 * - **Echoes** of our own writes (the CRM reports our PATCH as a change, conversations emits
 *   `contact.updated` for our pull) are recognised by the link's `syncedHash` and dropped.
 */
export function startCrmSync(options: CrmSyncOptions): CrmSync {
  const { orm, conversations, logger } = options;
  const schema = orm.config.get('schema');
  const written = counterOf(options.metrics);
  let stopped = false;
  let wakeUp = () => {};

  const emFor = (tenantId: string): EntityManager => {
    const em = orm.em.fork({ clear: true });
    em.setFilterParams('tenant', { tenantId });
    return em as unknown as EntityManager;
  };
  const client = (c: CrmConnector) => new HubSpotClient(options.hubSpotBaseUrl, options.secrets.open(c.accessTokenSealed), options.timeoutMs);

  async function localContact(c: CrmConnector, contactId: string): Promise<LocalContact | null> {
    const found = await conversations.request<{ contact: LocalContact | null }>(c.tenantId, c.id, CONTACT, { id: contactId });
    return found.contact;
  }

  async function saveLocal(c: CrmConnector, input: Record<string, unknown>): Promise<{ created: boolean; applied: boolean; contact: LocalContact }> {
    const saved = await conversations.request<{ saveContact: { created: boolean; applied: boolean; contact: LocalContact } }>(c.tenantId, c.id, SAVE, { input });
    return saved.saveContact;
  }

  async function link(c: CrmConnector, contactId: string, externalId: string, values: ContactValues): Promise<void> {
    // One statement: the link of this contact, or of this CRM contact, is replaced (never two links for one side).
    await orm.em.getConnection().execute(
      `with gone as (delete from "${schema}"."crm_contact_link" where "connector_id" = ? and "external_id" = ? and "contact_id" <> ?)
       insert into "${schema}"."crm_contact_link" ("connector_id", "contact_id", "tenant_id", "external_id", "synced_hash", "synced_at") values (?, ?, ?, ?, ?, ?)
       on conflict ("connector_id", "contact_id") do update set "external_id" = excluded."external_id", "synced_hash" = excluded."synced_hash", "synced_at" = excluded."synced_at"`,
      [c.id, externalId, contactId, c.id, contactId, c.tenantId, externalId, valuesHash(values), options.clock()],
    );
  }

  const linkOf = (c: CrmConnector, where: { contactId: string } | { externalId: string }) => emFor(c.tenantId).findOne(CrmContactLink, { connectorId: c.id, tenantId: c.tenantId, ...where });

  /** The CRM's contact over ours (it changed later): ours takes its values at its time. */
  async function takeRemote(c: CrmConnector, contactId: string | null, remote: HubSpotContact, result: CrmSyncResult): Promise<void> {
    const values = fromHubSpot(remote);
    const saved = await saveLocal(c, { ...(contactId ? { id: contactId } : { matchEmail: true }), ...values, modifiedAt: modifiedAtOf(remote).toISOString() });
    if (!saved.applied && !same(saved.contact, values) && new Date(saved.contact.updatedAt) > modifiedAtOf(remote)) {
      // Ours changed after the CRM's change (a matched email, or an edit just now): ours goes out instead.
      result.conflicts++;
      await sendLocal(c, saved.contact, remote.id, result);
      return;
    }
    await link(c, saved.contact.id, remote.id, saved.applied ? values : saved.contact);
    if (saved.applied) {
      result.pulled++;
      written.inc({ direction: 'pull', result: 'written' });
    }
  }

  /** Ours over the CRM's (created there when `externalId` is null). */
  async function sendLocal(c: CrmConnector, local: LocalContact, externalId: string | null, result: CrmSyncResult): Promise<void> {
    const api = client(c);
    const remote = externalId ? await api.update(externalId, local) : await api.create(local);
    await link(c, local.id, remote.id, local);
    result.pushed++;
    written.inc({ direction: 'push', result: 'written' });
  }

  async function pushTo(c: CrmConnector, contactId: string, result: CrmSyncResult): Promise<void> {
    const local = await localContact(c, contactId);
    if (!local) return;
    const existing = await linkOf(c, { contactId });
    if (existing?.syncedHash === valuesHash(local)) return; // nothing new (or the echo of a pull)
    const api = client(c);
    const remote = existing ? await api.get(existing.externalId).catch((e) => (e instanceof HubSpotError && e.status === 404 ? null : Promise.reject(e))) : local.email ? await api.findByEmail(local.email) : null;
    if (!remote) return sendLocal(c, local, null, result);
    // Both changed since they were last equal (or were never linked and differ): the later change wins.
    const remoteChanged = existing ? valuesHash(fromHubSpot(remote)) !== existing.syncedHash : !same(fromHubSpot(remote), local);
    if (remoteChanged && !same(fromHubSpot(remote), local)) {
      if (modifiedAtOf(remote) > new Date(local.updatedAt)) {
        result.conflicts++;
        written.inc({ direction: 'pull', result: 'conflict' });
        return takeRemote(c, local.id, remote, result);
      }
      result.conflicts++;
      written.inc({ direction: 'push', result: 'conflict' });
    }
    if (same(fromHubSpot(remote), local)) return link(c, local.id, remote.id, local);
    return sendLocal(c, local, remote.id, result);
  }

  async function pullOne(c: CrmConnector, remote: HubSpotContact, result: CrmSyncResult): Promise<void> {
    const values = fromHubSpot(remote);
    const existing = await linkOf(c, { externalId: remote.id });
    if (existing?.syncedHash === valuesHash(values)) return; // seen, or the echo of our own push
    if (!existing) {
      if (!values.name && !values.email && !values.phone) return;
      return takeRemote(c, null, remote, result);
    }
    const local = await localContact(c, existing.contactId);
    if (!local) return takeRemote(c, null, remote, result); // ours was removed: import it again
    const localChanged = valuesHash(local) !== existing.syncedHash;
    if (localChanged && !same(local, values)) {
      result.conflicts++;
      if (new Date(local.updatedAt) > modifiedAtOf(remote)) {
        written.inc({ direction: 'push', result: 'conflict' });
        return sendLocal(c, local, remote.id, result);
      }
      written.inc({ direction: 'pull', result: 'conflict' });
    }
    return takeRemote(c, local.id, remote, result);
  }

  /** Run `work` on the connector unless another replica holds it (false); a failure is kept as lastError and thrown, a refused token sets ERROR. */
  async function withConnector(connectorId: string, tenantId: string, work: (c: CrmConnector) => Promise<void>, lock: boolean): Promise<boolean> {
    const em = emFor(tenantId);
    const now = options.clock();
    if (lock) {
      const claimed = await em.getConnection().execute<{ id: string }[]>(
        `update "${schema}"."crm_connector" set "locked_until" = ? where "id" = ? and "tenant_id" = ? and "status" = 'ACTIVE' and ("locked_until" is null or "locked_until" < ?) returning "id"`,
        [new Date(now.getTime() + options.timeoutMs * 6 + 60_000), connectorId, tenantId, now],
      );
      if (!claimed.length) return false;
    }
    const c = await em.findOne(CrmConnector, { id: connectorId, tenantId });
    if (!c || c.status !== CrmConnectorStatus.ACTIVE) return false;
    try {
      await work(c);
      c.lastError = null;
      return true;
    } catch (error) {
      written.inc({ direction: lock ? 'pull' : 'push', result: 'failed' });
      c.lastError = (error as Error).message.slice(0, 500);
      if (error instanceof HubSpotError && (error.status === 401 || error.status === 403)) c.status = CrmConnectorStatus.ERROR;
      logger.warn('crm sync step failed', { tenantId, connectorId, error });
      throw error; // a push's event is retried (and dead-lettered in the end); a pull's caller says so
    } finally {
      if (lock) c.lockedUntil = null;
      await em.flush();
    }
  }

  async function pull(connectorId: string, tenantId: string): Promise<CrmSyncResult | null> {
    const result: CrmSyncResult = { pushed: 0, pulled: 0, conflicts: 0 };
    const ran = await withSpan('crm.pull', { 'crm.connector_id': connectorId, 'tenant.id': tenantId }, () =>
      withConnector(connectorId, tenantId, async (c) => {
        const startedAt = options.clock();
        const since = new Date((c.pulledUntil?.getTime() ?? 0) - PULL_OVERLAP_MS);
        let after: string | undefined;
        for (let page = 0; page < MAX_PAGES; page++) {
          const found = await client(c).modifiedSince(since.getTime() < 0 ? new Date(0) : since, after);
          for (const remote of found.results) await pullOne(c, remote, result);
          after = found.paging?.next?.after;
          if (!after) break;
        }
        c.pulledUntil = startedAt;
        c.lastSyncAt = startedAt;
      }, true),
    );
    return ran ? result : null;
  }

  async function push(tenantId: string, contactId: string): Promise<CrmSyncResult> {
    const result: CrmSyncResult = { pushed: 0, pulled: 0, conflicts: 0 };
    const connectors = await emFor(tenantId).find(CrmConnector, { tenantId, status: CrmConnectorStatus.ACTIVE });
    for (const c of connectors) {
      await withSpan('crm.push', { 'crm.connector_id': c.id, 'tenant.id': tenantId }, () => withConnector(c.id, tenantId, (fresh) => pushTo(fresh, contactId, result), false));
    }
    return result;
  }

  const loop = runDetached(async () => {
    while (!stopped) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.intervalMs);
        timer.unref?.();
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) break;
      try {
        const due = await orm.em.fork().getConnection().execute<{ id: string; tenant_id: string }[]>(`select "id", "tenant_id" from "${schema}"."crm_connector" where "status" = 'ACTIVE' order by "id"`);
        for (const row of due) {
          if (stopped) break;
          await pull(row.id, row.tenant_id).catch((error) => logger.warn('crm pull failed', { connectorId: row.id, error }));
        }
      } catch (error) {
        if (!stopped) logger.warn('crm sync pass failed', { error });
      }
    }
  });

  return {
    pull,
    push,
    async stop() {
      stopped = true;
      wakeUp();
      await loop;
    },
  };
}

/** The events that mean one of our contacts is new or changed. */
export function consumeContactChanges(events: EventConsumer, sync: CrmSync): () => Promise<void> {
  return events.consume(
    CRM_GROUP,
    ['conversation.started', 'contact.created', 'contact.updated'],
    async (event: DomainEvent) => {
      const data = event.data as { id: string; contactId?: string };
      const contactId = event.type === 'conversation.started' ? data.contactId : data.id;
      if (contactId) await sync.push(event.tenantId, contactId);
    },
    { maxAttempts: 8 },
  );
}
