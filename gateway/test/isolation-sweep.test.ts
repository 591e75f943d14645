import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { createClient } from 'graphql-ws';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { startStack, type GraphQLResponse, type Stack } from './stack';

/**
 * The isolation sweep: generated from the checked-in supergraph, so a field is covered the
 * day it is added. Every Query, Mutation and Subscription field that takes an ID (as an
 * argument, or inside an input object) is called as globex's OWNER with one of acme's IDs in
 * that slot (harvested through the API) and globex's own IDs everywhere else. Each call must
 * answer NOT_FOUND or no data, must not show any acme ID it was not given, and acme's data
 * must be the same afterwards.
 */
const api: GraphQLSchema = Supergraph.build(readFileSync(path.join(__dirname, '../../schema/supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();

type Ids = Map<string, string[]>; // typename → ids
interface Slot {
  root: 'query' | 'mutation' | 'subscription';
  field: GraphQLField<unknown, unknown>;
  /** Argument name, then input-field names down to the ID. */
  path: string[];
  /** The type the ID is expected to name, from the slot's name. */
  hint?: string;
}

let stack: Stack;
let acme: Record<string, string>;
let globex: Record<string, string>;
let acmeIds: Ids;
let globexIds: Ids;

beforeAll(async () => {
  // Every subgraph of the registry with its demo data; nothing refused for volume (the sweep
  // sends a few hundred requests as one owner).
  stack = await startStack({ subgraphs: 'all', seed: 'all', gatewayEnv: { RATE_LIMIT_ENABLED: 'false', THREAT_DETECTION_ENABLED: 'false' } });
  acme = await stack.as('admin@acme.test');
  globex = await stack.as('admin@globex.test');
  // Rows the demo data has none of, on both sides.
  for (const who of [acme, globex]) {
    const key = await stack.gql(`mutation { createApiKey(input: { name: "sweep", scopes: ["tenant:read"] }) { apiKey { id } } }`, {}, who);
    expect(key.errors).toBeUndefined();
  }
  acmeIds = await settled(acme);
  globexIds = await harvest(globex);
}, 120_000);
afterAll(() => stack?.close());

// ------------------------------------------------------------------ harvesting IDs through the API

/** `__typename id` for an object type and, to `depth`, its object fields that need no arguments. */
function idSelection(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (!isObjectType(named)) return isLeafType(named) ? '' : '{ __typename }';
  const fields = named.getFields();
  const parts = ['__typename', ...('id' in fields ? ['id'] : [])];
  if (depth > 0) {
    for (const f of Object.values(fields)) {
      if (f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
      const inner = getNamedType(f.type);
      if (isLeafType(inner)) continue;
      const sub = idSelection(f.type, depth - 1);
      if (sub) parts.push(`${f.name}${firstArg(f)} ${sub}`);
    }
  }
  return `{ ${parts.join(' ')} }`;
}

/** A few of each list, so the whole tree stays under the gateway's cost limit. */
function firstArg(field: GraphQLField<unknown, unknown>): string {
  return field.args.some((a) => a.name === 'first' && getNamedType(a.type).name === 'Int') ? '(first: 5)' : '';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function collect(value: unknown, into: Ids): void {
  if (Array.isArray(value)) return value.forEach((v) => collect(v, into));
  if (!value || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  // Rows have UUIDs; other ids are synthetic (a live snapshot's, a typing indicator's) and change by themselves.
  if (typeof o.__typename === 'string' && typeof o.id === 'string' && UUID.test(o.id)) {
    const list = into.get(o.__typename) ?? [];
    if (!list.includes(o.id)) list.push(o.id);
    into.set(o.__typename, list);
  }
  for (const v of Object.values(o)) collect(v, into);
}

/**
 * Every ID the caller can reach from the Query fields that need no arguments: one query per
 * path of object fields (to depth 4, no type twice on a path), each selecting
 * `__typename id` at every level, so no query comes near the gateway's cost limit.
 */
async function harvest(headers: Record<string, string>): Promise<Ids> {
  const ids: Ids = new Map();
  const needsArgs = (f: GraphQLField<unknown, unknown>) => f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const levelOf = (type: GraphQLOutputType) => {
    const named = getNamedType(type);
    return isObjectType(named) && 'id' in named.getFields() ? '__typename id' : '__typename';
  };
  const walk = async (chain: GraphQLField<unknown, unknown>[], seen: Set<string>): Promise<void> => {
    let selection = '';
    for (let i = chain.length - 1; i >= 0; i--) selection = `${chain[i]!.name}${firstArg(chain[i]!)} { ${levelOf(chain[i]!.type)} ${selection} }`;
    const res = await stack.gql(`{ ${selection} }`, {}, headers);
    collect(res.data, ids);
    const last = getNamedType(chain.at(-1)!.type);
    if (chain.length >= 4 || !isObjectType(last) || res.data == null) return;
    for (const f of Object.values(last.getFields())) {
      const inner = getNamedType(f.type);
      if (needsArgs(f) || isLeafType(inner) || seen.has(inner.name)) continue;
      await walk([...chain, f], new Set([...seen, inner.name]));
    }
  };
  for (const field of Object.values(api.getQueryType()!.getFields())) {
    if (needsArgs(field) || isLeafType(getNamedType(field.type))) continue;
    await walk([field], new Set([getNamedType(field.type).name]));
  }
  return ids;
}

/** The harvest once the demo data's own events are done (escalations open tickets in the background). */
async function settled(headers: Record<string, string>): Promise<Ids> {
  let last = await harvest(headers);
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const next = await harvest(headers);
    if (JSON.stringify([...next]) === JSON.stringify([...last])) return next;
    last = next;
  }
  throw new Error('the demo data did not settle');
}

// ------------------------------------------------------------------ the slots that take an ID

function isIdType(type: GraphQLInputType): boolean {
  return getNamedType(type).name === 'ID';
}

function hintFor(name: string, field: GraphQLField<unknown, unknown>): string | undefined {
  if (name === 'id' || name === 'ids') return getNamedType(field.type).name;
  const m = /^(.+?)Ids?$/.exec(name);
  if (!m) return undefined;
  const base = m[1]!.charAt(0).toUpperCase() + m[1]!.slice(1);
  // assigneeId, authorId, requesterId… name a user.
  return ['Assignee', 'Author', 'Requester', 'Agent', 'Owner', 'Member'].includes(base) ? 'User' : base;
}

function slotsOf(root: Slot['root']): Slot[] {
  const type = root === 'query' ? api.getQueryType() : root === 'mutation' ? api.getMutationType() : api.getSubscriptionType();
  const slots: Slot[] = [];
  for (const field of Object.values(type?.getFields() ?? {})) {
    const walk = (name: string, t: GraphQLInputType, at: string[], seen: Set<string>) => {
      if (isIdType(t)) return slots.push({ root, field, path: at, hint: hintFor(name, field) });
      const named = getNamedType(t);
      if (!isInputObjectType(named) || seen.has(named.name)) return;
      for (const f of Object.values(named.getFields())) walk(f.name, f.type, [...at, f.name], new Set([...seen, named.name]));
    };
    for (const arg of field.args) walk(arg.name, arg.type, [arg.name], new Set());
  }
  return slots;
}

// ------------------------------------------------------------------ values for everything else

function anyId(ids: Ids, hint?: string): string {
  const hinted = hint ? ids.get(hint)?.[0] : undefined;
  return hinted ?? [...ids.values()][0]![0]!;
}

function scalarValue(name: string, typeName: string): unknown {
  switch (typeName) {
    case 'Int':
      return 1;
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
    case 'DateTimeISO':
      // A range ends after it starts: `from`/`since`/`start` a month back, anything else tomorrow.
      return new Date(Date.now() + (/^(from|since|start)/i.test(name) ? -30 : 1) * 86_400_000).toISOString();
    case 'JSON':
    case 'JSONObject':
      return {};
    default:
      if (/email/i.test(name)) return 'sweep@example.test';
      if (/url/i.test(name)) return 'https://example.test/sweep';
      if (/locale|language/i.test(name)) return 'en';
      if (/phone/i.test(name)) return '+15550100';
      if (/password/i.test(name)) return 'isolation-sweep-password';
      return 'isolation sweep';
  }
}

/** A value for `type`: the target (acme) ID at `target`, globex's own IDs and plain values elsewhere. */
function valueFor(name: string, type: GraphQLInputType, target: string[], acmeId: string, field: GraphQLField<unknown, unknown>): unknown {
  const nullable = getNullableType(type) as GraphQLInputType;
  if (isListType(nullable)) {
    return [valueFor(name, nullable.ofType as GraphQLInputType, target, acmeId, field)];
  }
  if (isIdType(nullable)) return target.length === 0 ? acmeId : anyId(globexIds, hintFor(name, field));
  if (isEnumType(nullable)) return nullable.getValues()[0]!.value;
  if (isScalarType(nullable)) return scalarValue(name, nullable.name);
  if (isInputObjectType(nullable)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(nullable.getFields()) as GraphQLInputField[]) {
      const onPath = target[0] === f.name;
      if (!onPath && !(isNonNullType(f.type) && f.defaultValue === undefined)) continue;
      out[f.name] = valueFor(f.name, f.type, onPath ? target.slice(1) : ['-'], acmeId, field);
    }
    return out;
  }
  return null;
}

function operationFor(slot: Slot, acmeId: string): { source: string; variables: Record<string, unknown> } {
  const used = slot.field.args.filter((a: GraphQLArgument) => a.name === slot.path[0] || (isNonNullType(a.type) && a.defaultValue === undefined));
  const variables: Record<string, unknown> = {};
  for (const a of used) variables[a.name] = valueFor(a.name, a.type, a.name === slot.path[0] ? slot.path.slice(1) : ['-'], acmeId, slot.field);
  const defs = used.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const args = used.map((a) => `${a.name}: $${a.name}`).join(', ');
  const source = `${slot.root} Sweep${defs ? `(${defs})` : ''} { ${slot.field.name}${args ? `(${args})` : ''} ${idSelection(slot.field.type, 1)} }`;
  return { source, variables };
}

/** What a caller is shown of the other tenant: acme IDs in the answer other than the one it sent. */
function leaked(res: unknown, sent: string): string[] {
  const text = JSON.stringify(res);
  return [...acmeIds.values()].flat().filter((id) => id !== sent && text.includes(id));
}

function candidates(slot: Slot): { type: string; id: string }[] {
  const hinted = slot.hint && acmeIds.get(slot.hint)?.[0];
  if (hinted) return [{ type: slot.hint!, id: hinted }];
  // No hint (or nothing of that type in acme): one ID of every type acme has.
  return [...acmeIds.entries()].map(([type, ids]) => ({ type, id: ids[0]! }));
}

async function subscribeOnce(source: string, variables: Record<string, unknown>): Promise<{ errors?: GraphQLResponse['errors']; data?: unknown }> {
  const client = createClient({ url: stack.gateway.url.replace('http', 'ws'), webSocketImpl: WebSocket, connectionParams: { authorization: globex.authorization }, retryAttempts: 0, lazy: true });
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve({}), 3_000); // admitted and silent: no data, which is what must hold
      client.subscribe(
        { query: source, variables },
        {
          next: (value) => {
            clearTimeout(timer);
            resolve(value as never);
          },
          error: (error) => {
            clearTimeout(timer);
            resolve({ errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error), extensions: { code: 'SOCKET' } }] });
          },
          complete: () => {
            clearTimeout(timer);
            resolve({});
          },
        },
      );
    });
  } finally {
    await client.dispose();
  }
}

describe('isolation sweep: every field that takes an ID, called with the other tenant’s IDs', () => {
  it('harvested IDs of both tenants through the API', () => {
    // The sweep means something only with data on both sides.
    for (const type of ['User', 'Ticket', 'Conversation', 'Message', 'ApiKey']) {
      expect(acmeIds.get(type)?.length).toBeGreaterThan(0);
      expect(globexIds.get(type)?.length).toBeGreaterThan(0);
    }
    // Slots whose type has no demo rows are tried with IDs of every type instead: say which,
    // so a subgraph that joins without demo data for its types is visible here.
    const hinted = [...slotsOf('query'), ...slotsOf('mutation'), ...slotsOf('subscription')].map((s) => s.hint).filter((h): h is string => !!h && isObjectType(api.getType(h)));
    const uncovered = [...new Set(hinted)].filter((t) => !acmeIds.get(t)?.length).sort();
    if (uncovered.length) console.warn(`isolation sweep: no demo ${uncovered.join(', ')} to aim at; their ID slots get IDs of every type`);
  });

  it('answers NOT_FOUND or nothing, shows no other acme data, and changes nothing of acme’s', async () => {
    const before = await settled(acme);
    const slots = [...slotsOf('query'), ...slotsOf('mutation'), ...slotsOf('subscription')];
    expect(slots.length).toBeGreaterThan(10);
    const failures: string[] = [];
    let calls = 0;
    for (const slot of slots) {
      for (const { type, id } of candidates(slot)) {
        const { source, variables } = operationFor(slot, id);
        const res = slot.root === 'subscription' ? await subscribeOnce(source, variables) : await stack.gql(source, variables, globex);
        calls += 1;
        const where = `${slot.root} ${slot.field.name}(${slot.path.join('.')}) with acme ${type} ${id}`;
        const codes = (res.errors ?? []).map((e) => e.extensions?.code);
        const data = (res.data as Record<string, unknown> | null | undefined)?.[slot.field.name];
        if (codes.some((c) => c !== 'NOT_FOUND')) failures.push(`${where}: codes ${JSON.stringify(codes)} ${res.errors?.[0]?.message}`);
        // Data is allowed only when it says nothing of acme: no acme row, no `true` for a write, no items.
        const items = Array.isArray(data) ? data.length : isConnection(data) ? itemsOf(data).length : 0;
        if (data === true || items > 0 || JSON.stringify(data ?? null).includes(id)) failures.push(`${where}: answered ${JSON.stringify(data).slice(0, 200)}`);
        const shown = leaked(res, id);
        if (shown.length) failures.push(`${where}: shows acme ids ${shown.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThanOrEqual(slots.length);
    const after = await harvest(acme);
    expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
  }, 240_000);
});

function isConnection(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && (Array.isArray((value as Record<string, unknown>).nodes) || Array.isArray((value as Record<string, unknown>).edges));
}

function itemsOf(value: Record<string, unknown>): unknown[] {
  return (value.nodes ?? value.edges) as unknown[];
}
