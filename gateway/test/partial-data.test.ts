import { loadRegistry } from '@switchboard/kit';
import { buildASTSchema, getNamedType, isLeafType, isNonNullType, isObjectType, parse, type GraphQLField, type GraphQLSchema } from 'graphql';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readCheckedIn } from '../src/compose';
import { contributedFields } from '../src/partial-data';
import { startStack, type Stack } from './stack';

/**
 * Partial data when a subgraph is down, through the gateway over HTTP, for every subgraph
 * of the registry: each sits behind a proxy the test can cut (connections reset, like a
 * crashed process). Generated from the checked-in supergraph, so subgraphs that join are
 * covered without editing this file.
 */

/** A proxy in front of one subgraph: forwards to `target`, or resets every connection while `down`. */
function faultProxy() {
  const state = { target: '', down: false };
  const server = http.createServer((req, res) => {
    if (state.down || !state.target) {
      req.socket.destroy();
      return;
    }
    const url = new URL(req.url ?? '/', state.target);
    const upstream = http.request(url, { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  return {
    state,
    async listen(): Promise<string> {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const supergraph = readCheckedIn('supergraph.graphql');
const registry = loadRegistry();
const graphOf = (name: string) => name.toUpperCase().replace(/-/g, '_');

/** The API schema's view, enough to build selections (the join directives are kept as text). */
const schema: GraphQLSchema = buildASTSchema(parse(supergraph), { assumeValidSDL: true });
const selectionFor = (field: GraphQLField<unknown, unknown>) => (isLeafType(getNamedType(field.type)) ? '' : ' { __typename }');
const noRequiredArgs = (field: GraphQLField<unknown, unknown>) => field.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined);

/** Root Query fields by the graph that resolves them, read from the supergraph's @join__field. */
function rootFieldsByGraph(): Map<string, GraphQLField<unknown, unknown>[]> {
  const byGraph = new Map<string, GraphQLField<unknown, unknown>[]>();
  const query = schema.getQueryType()!;
  // The Query type's block only: other types have fields of the same names (e.g. a filter's `assistants`).
  const start = supergraph.indexOf('\ntype Query');
  const block = supergraph.slice(start, supergraph.indexOf('\n}', start));
  for (const field of Object.values(query.getFields())) {
    const at = block.indexOf(`\n  ${field.name}(`) >= 0 ? block.indexOf(`\n  ${field.name}(`) : block.indexOf(`\n  ${field.name}:`);
    const graph = at < 0 ? undefined : /@join__field\(graph: ([A-Z_0-9]+)/.exec(block.slice(at).split('\n').slice(0, 12).join('\n'))?.[1];
    if (!graph) continue;
    byGraph.set(graph, [...(byGraph.get(graph) ?? []), field]);
  }
  return byGraph;
}

const roots = rootFieldsByGraph();
/** Per subgraph: a root field a client can ask alongside others (nullable, no required arguments). */
const probes = registry.map((s) => {
  const candidates = (roots.get(graphOf(s.name)) ?? []).filter((f) => !isNonNullType(f.type) && noRequiredArgs(f));
  return { name: s.name, field: candidates[0] };
});

let stack: Stack;
let owner: Record<string, string>;
const proxies = new Map(registry.map((s) => [s.name, faultProxy()]));

beforeAll(async () => {
  const urls: Record<string, string> = {};
  for (const s of registry) urls[s.urlVariable] = await proxies.get(s.name)!.listen();
  // PRINCIPAL_CACHE_SECONDS=0: every request asks tenants, so with tenants down what
  // authenticates is the last known principal (PRINCIPAL_STALE_IF_ERROR_SECONDS), not the cache.
  stack = await startStack({ subgraphs: 'all', seed: 'all', gatewayEnv: { ...urls, RATE_LIMIT_ENABLED: 'false', PRINCIPAL_CACHE_SECONDS: '0' }, redisUrl: '' });
  for (const s of registry) proxies.get(s.name)!.state.target = stack.subgraphs[s.name]!.url;
  owner = await stack.as('admin@acme.test');
}, 120_000);
afterAll(async () => {
  await stack?.close();
  for (const p of proxies.values()) await p.close();
});

async function whileDown<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const proxy = proxies.get(name)!;
  proxy.state.down = true;
  try {
    return await fn();
  } finally {
    proxy.state.down = false;
  }
}

it('every subgraph has a root field that can be asked alongside others (nullable, no required arguments)', () => {
  expect(probes.filter((p) => !p.field).map((p) => p.name)).toEqual([]);
});

const query = `{ ${probes.filter((p) => p.field).map((p) => `${p.name.replace(/-/g, '_')}: ${p.field!.name}${selectionFor(p.field!)}`).join(' ')} }`;

it('answers every subgraph’s probe while all are up', async () => {
  const res = await stack.gql(query, {}, owner);
  expect(res.errors).toBeUndefined();
  for (const p of probes) expect({ subgraph: p.name, value: res.data[p.name.replace(/-/g, '_')] }).toEqual({ subgraph: p.name, value: expect.anything() });
});

// Tenants too: it verifies credentials, and while it is down the gateway authenticates a caller
// with the last principal tenants gave for it (authenticate.ts, principal-cache.ts).
describe.each(registry.map((s) => s.name))('with %s down', (down) => {
  it('the other subgraphs’ data stands, its own part is null with UPSTREAM_UNAVAILABLE', async () => {
    const res = await whileDown(down, () => stack.gql(query, {}, owner));
    expect(res.status).toBe(200);
    const key = down.replace(/-/g, '_');
    expect(res.data[key]).toBeNull();
    expect(res.errors?.map((e) => e.extensions?.code)).toContain('UPSTREAM_UNAVAILABLE');
    for (const p of probes.filter((x) => x.name !== down)) {
      // Every pair (survivor, down): the survivor's part is there.
      expect({ survivor: p.name, down, value: res.data[p.name.replace(/-/g, '_')] }).toEqual({ survivor: p.name, down, value: expect.anything() });
    }
  });
});

describe('with tenants down, authentication', () => {
  it('answers 503 UPSTREAM_UNAVAILABLE, retryable, for a credential tenants never confirmed', async () => {
    const stranger = await stack.as('agent@acme.test'); // logged in, never used: no principal known
    const res = await whileDown('tenants', () => stack.gql(query, {}, stranger));
    expect(res.status).toBe(503);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
  });

  it('counts each request served with a last known principal on /metrics', async () => {
    await stack.gql('{ me { id } }', {}, owner);
    await whileDown('tenants', () => stack.gql(query, {}, owner));
    const metrics = await (await fetch(stack.gateway.url.replace('/graphql', '/metrics'))).text();
    expect(Number(/^gateway_principal_stale_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0)).toBeGreaterThan(0);
  });
});

describe('fields a subgraph contributes to another subgraph’s entity', () => {
  // For each: a query through the owner's root that reaches the entity, the contributed field beside the owner's id.
  const cases = contributedFields(supergraph).flatMap((c) => {
    const type = schema.getType(c.type);
    if (!isObjectType(type)) return [];
    const field = type.getFields()[c.field]!;
    if (!noRequiredArgs(field)) return [];
    const contributor = registry.find((s) => graphOf(s.name) === c.from[0]);
    for (const root of roots.get(c.owner) ?? []) {
      if (!noRequiredArgs(root)) continue;
      const named = getNamedType(root.type);
      const inner = `id ${c.field}${selectionFor(field)}`;
      if (named.name === c.type) return [{ ...c, contributor: contributor!.name, query: `{ x: ${root.name} { ${inner} } }`, pick: (d: any) => d.x }];
      if (isObjectType(named) && named.getFields().nodes && getNamedType(named.getFields().nodes!.type).name === c.type) {
        return [{ ...c, contributor: contributor!.name, query: `{ x: ${root.name}(first: 1) { nodes { ${inner} } } }`, pick: (d: any) => d.x?.nodes?.[0] }];
      }
    }
    return [];
  });

  it('covers the known ones', () => {
    expect(cases.map((c) => `${c.type}.${c.field}`)).toEqual(expect.arrayContaining(['User.openTicketCount', 'User.assignedTickets', 'Conversation.tickets']));
  });

  it.each(cases.map((c) => [`${c.type}.${c.field}`, c] as const))('%s is null while its subgraph is down, and the owner’s entity stands', async (_name, c) => {
    const up = await stack.gql(c.query, {}, owner);
    expect(up.errors).toBeUndefined();
    expect(c.pick(up.data)).toBeTruthy();
    // Some contributed fields are null on the demo data even while up (Conversation.handoffSummary
    // before any handoff); for those the check is that the owner's entity stands with the error.
    const res = await whileDown(c.contributor, () => stack.gql(c.query, {}, owner));
    const entity = c.pick(res.data);
    expect(entity).toMatchObject({ id: c.pick(up.data).id, [c.field]: null });
    expect(res.errors?.map((e) => e.extensions?.code)).toContain('UPSTREAM_UNAVAILABLE');
  });
});
