/**
 * The slice of HubSpot's CRM v3 contacts API the sync uses (developers.hubspot.com, "CRM API |
 * Contacts"): `POST /crm/v3/objects/contacts` (create), `GET`/`PATCH
 * /crm/v3/objects/contacts/{id}`, and `POST /crm/v3/objects/contacts/search` (filters on
 * `email` or `lastmodifieddate`, sorted, paged by `after`), with a private app's token as
 * `Authorization: Bearer`. Tests run it against a local fake of the same shape.
 */

export const HUBSPOT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'lastmodifieddate'] as const;

export interface HubSpotContact {
  id: string;
  properties: Record<string, string | null | undefined>;
  /** ISO time of the last change (HubSpot keeps `properties.lastmodifieddate` equal to it). */
  updatedAt: string;
}

/** What both sides hold of a contact. */
export interface ContactValues {
  name: string | null;
  email: string | null;
  phone: string | null;
}

/** HubSpot splits a name: the first word is `firstname`, the rest `lastname`. */
export function toHubSpot(v: ContactValues): Record<string, string> {
  const [first, ...rest] = (v.name ?? '').trim().split(/\s+/).filter(Boolean);
  return { email: v.email ?? '', firstname: first ?? '', lastname: rest.join(' '), phone: v.phone ?? '' };
}

export function fromHubSpot(c: HubSpotContact): ContactValues {
  const p = c.properties;
  const name = [p.firstname, p.lastname].map((s) => (s ?? '').trim()).filter(Boolean).join(' ');
  const email = (p.email ?? '').trim().toLowerCase();
  const phone = (p.phone ?? '').trim();
  return { name: name || null, email: email || null, phone: phone || null };
}

export function modifiedAtOf(c: HubSpotContact): Date {
  const raw = c.updatedAt ?? c.properties.lastmodifieddate;
  const at = raw ? new Date(raw) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new HubSpotError(`contact ${c.id} has no updatedAt`, 0);
  return at;
}

export class HubSpotError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export class HubSpotClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly timeoutMs: number,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const json = (await res.json().catch(() => ({}))) as T & { message?: string; category?: string };
    if (!res.ok) {
      const retry = Number(res.headers.get('retry-after'));
      throw new HubSpotError(`HubSpot ${method} ${path.split('?')[0]} answered ${res.status}${json.category ? ` ${json.category}` : ''}`, res.status, Number.isFinite(retry) && retry > 0 ? retry : undefined);
    }
    return json;
  }

  get(id: string): Promise<HubSpotContact> {
    return this.call('GET', `/crm/v3/objects/contacts/${encodeURIComponent(id)}?properties=${HUBSPOT_PROPERTIES.join(',')}`);
  }

  create(values: ContactValues): Promise<HubSpotContact> {
    return this.call('POST', '/crm/v3/objects/contacts', { properties: toHubSpot(values) });
  }

  update(id: string, values: ContactValues): Promise<HubSpotContact> {
    return this.call('PATCH', `/crm/v3/objects/contacts/${encodeURIComponent(id)}`, { properties: toHubSpot(values) });
  }

  async findByEmail(email: string): Promise<HubSpotContact | null> {
    const found = await this.call<{ results: HubSpotContact[] }>('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }],
      properties: HUBSPOT_PROPERTIES,
      limit: 1,
    });
    return found.results[0] ?? null;
  }

  /** Contacts changed at or after `since`, oldest change first, one page (`after` from the previous page's `paging.next.after`). */
  modifiedSince(since: Date, after?: string, limit = 100): Promise<{ results: HubSpotContact[]; paging?: { next?: { after: string } } }> {
    return this.call('POST', '/crm/v3/objects/contacts/search', {
      filterGroups: [{ filters: [{ propertyName: 'lastmodifieddate', operator: 'GTE', value: String(since.getTime()) }] }],
      sorts: [{ propertyName: 'lastmodifieddate', direction: 'ASCENDING' }],
      properties: HUBSPOT_PROPERTIES,
      limit,
      ...(after ? { after } : {}),
    });
  }
}
