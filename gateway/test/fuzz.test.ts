import { ERROR_CODES } from '@switchboard/kit';
import { MutationFuzzer, prng } from './fuzz';
import { startStack, type Stack } from './stack';

/**
 * Every mutation of the supergraph, its input filled with boundary and hostile values
 * (fuzz.ts), sent through the gateway as an OWNER. Never a 5xx, never INTERNAL_SERVER_ERROR,
 * only codes of the closed set, and a mutation that answered an error wrote nothing (every
 * table of the stack's schemas is the same before and after it).
 *
 * A fixed seed and count here; `npm run fuzz` runs it with a random seed and more requests
 * (FUZZ_SEED, FUZZ_COUNT), printing the seed so a failure can be replayed.
 */
const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED ?? 20261201);
const COUNT = Number(process.env.FUZZ_COUNT ?? 80);
if (process.env.FUZZ_SEED) console.log(`fuzz seed ${SEED}, ${COUNT} mutations (replay with FUZZ_SEED=${SEED})`);

/**
 * Tables a refused request may still see written, by design: the security and rate-limit
 * records, consumer bookkeeping, and the projections event consumers keep in the background
 * from earlier events (analytics' rollups, knowledge's embedded chunks, the assistant's answers, triage and label counts, integrations'
 * delivery log, which only follow events of mutations that happened). Every entity table is
 * compared.
 */
const WRITTEN_WHATEVER_THE_OUTCOME =
  /(^analytics\.)|(^|\.)(security_event|auth_failure|login_attempt|processed_event|outbox|dead_letter|agent|directory_user|user_directory|mikro_orm_migrations|article_chunk|webhook_delivery|triage_model|ticket_triage|assistant_conversation|ai_turn)$/;

let stack: Stack;
let owner: Record<string, string>;

beforeAll(async () => {
  // The edge's abuse protection would block a client this hostile after a few requests (edge.test.ts covers it): off, so every mutation reaches its subgraph.
  const edgeOff = { RATE_LIMIT_ENABLED: 'false', THREAT_DETECTION_ENABLED: 'false', LOGIN_THROTTLE_ENABLED: 'false', AUTH_FAILURES_PER_IP_PER_MINUTE: '1000000' };
  stack = await startStack({ subgraphs: 'all', seed: 'all', redisUrl: '', gatewayEnv: edgeOff });
  owner = await stack.as('admin@acme.test');
}, Math.max(120_000, COUNT * 1_000));
afterAll(async () => {
  await stack?.close();
});

/** Through a running subgraph's own pool (PGlite serves one session: a second client's statements would interleave). */
const sql = <T>(text: string, params: unknown[] = []) => stack.subgraphs.tenants!.orm.em.getConnection().execute(text, params, 'all') as Promise<T[]>;

async function snapshot(): Promise<Map<string, string>> {
  const rows = await sql<{ schema: string; table: string }>(
    `select table_schema as schema, table_name as table from information_schema.tables where table_schema like ? and table_type = 'BASE TABLE' order by 1, 2`,
    [`${stack.db.schemaPrefix}%`],
  );
  const out = new Map<string, string>();
  for (const { schema, table } of rows) {
    const name = `${schema.slice(stack.db.schemaPrefix.length)}.${table}`;
    if (WRITTEN_WHATEVER_THE_OUTCOME.test(name)) continue;
    const [r] = await sql<{ h: string | null; n: string }>(`select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h, count(*) as n from "${schema}"."${table}" t`);
    out.set(name, `${r!.n}:${r!.h}`);
  }
  return out;
}

/** Sends one mutation and judges it against the snapshot before; answers the snapshot after. */
async function judge(fuzzer: MutationFuzzer, field: { name: string }, request: { query: string; variables: Record<string, unknown> }, before: Map<string, string>, problems: unknown[], codes: Map<string, number>) {
  const { query, variables } = request;
  let res = await stack.gql(query, variables, owner);
  if (res.errors?.some((e) => e.extensions?.code === 'UNAUTHENTICATED') && field.name !== 'login') {
    owner = await stack.as('admin@acme.test'); // a mutation may have ended the session; the request itself is judged again
    res = await stack.gql(query, variables, owner);
  }
  for (const e of res.errors ?? []) codes.set(String(e.extensions?.code), (codes.get(String(e.extensions?.code)) ?? 0) + 1);
  const after = await snapshot();
  const bad =
    res.status >= 500 ||
    (res.errors ?? []).some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR' || !Object.prototype.hasOwnProperty.call(ERROR_CODES, String(e.extensions?.code)));
  const wrote = res.errors?.length ? changed(before, after) : [];
  if (bad || wrote.length) {
    problems.push({ mutation: field.name, status: res.status, errors: res.errors?.map((e) => ({ code: e.extensions?.code, message: e.message.slice(0, 200) })), wrote, variables: JSON.stringify(variables).slice(0, 400) });
  }
  if (res.data) fuzzer.collect(res.data);
  return after;
}

function changed(a: Map<string, string>, b: Map<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
}

it(`sends ${COUNT} hostile mutations (seed ${SEED}): no 5xx, no INTERNAL_SERVER_ERROR, no partial write`, async () => {
  const rng = prng(SEED);
  const fuzzer = new MutationFuzzer(rng);
  // Known ids to aim at, besides random and hostile ones.
  const users = await stack.gql('{ users(first: 50) { nodes { __typename id } } conversations(first: 50) { nodes { __typename id } } tickets(first: 50) { nodes { __typename id } } }', {}, owner);
  fuzzer.collect(users.data);
  const mutations = fuzzer.mutations();
  expect(mutations.length).toBeGreaterThan(10);
  const problems: unknown[] = [];
  const codes = new Map<string, number>();
  let before = await snapshot();
  for (let i = 0; i < COUNT; i++) {
    // Round-robin first, so every mutation is sent at least once in any run of COUNT ≥ their number.
    const field = i < mutations.length ? mutations[i]! : rng.pick(mutations);
    before = await judge(fuzzer, field, fuzzer.request(field), before, problems, codes);
  }
  if (process.env.FUZZ_SEED) console.log('error codes seen', Object.fromEntries(codes));
  expect(problems).toEqual([]);
}, Math.max(120_000, COUNT * 1_000));

it('sends every mutation with every string set to one hostile value (NUL, unpaired surrogate, 100 000 characters, control characters)', async () => {
  const fuzzer = new MutationFuzzer(prng(7));
  const known = await stack.gql('{ users(first: 50) { nodes { __typename id } } conversations(first: 50) { nodes { __typename id } } tickets(first: 50) { nodes { __typename id } } }', {}, owner);
  fuzzer.collect(known.data);
  const problems: unknown[] = [];
  const codes = new Map<string, number>();
  let before = await snapshot();
  for (const hostile of ['nul\u0000', '\ud800', 'a'.repeat(100_000), '\u0001\u001b[31m\u007f\u202e']) {
    fuzzer.forcedString = hostile;
    for (const field of fuzzer.mutations()) before = await judge(fuzzer, field, fuzzer.request(field), before, problems, codes);
  }
  expect(problems).toEqual([]);
}, 120_000);
