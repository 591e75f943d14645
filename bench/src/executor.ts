/**
 * npm run bench:executor — what @apollo/gateway's execution costs in CPU per request, with
 * nothing else in the way: Apollo Server + ApolloGateway on the checked-in supergraph, the
 * subgraphs replaced by in-process answers (50 tickets, their assignees), no HTTP, no edge.
 * It runs the bench's three cases with Apollo's own result shaping and with ours
 * (gateway/src/result-shaping.ts: compiled once per document, the document's federation
 * Operation reused), alternating over rounds in one process, and prints the median CPU
 * ms per request of each and the difference. The full gateway bench (`npm run bench`)
 * measures the same change through HTTP, where the machine's noise is larger than it.
 *
 * BENCH_ROUNDS (5), BENCH_OPS (2000 per case and round).
 */
import { ApolloGateway, type GraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { installResultShaping, uninstallResultShaping } from '@switchboard/gateway/src/result-shaping';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const OPS = Number(process.env.BENCH_OPS ?? 2000);
const sdl = readFileSync(path.resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8');

const CASES = {
  a: { query: 'query List { tickets(first: 50) { nodes { id number subject assignee { name email } sla { state } } } }', variables: {} },
  b: { query: 'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { name } sla { state } } }', variables: { id: 't1' } },
  c: { query: 'query Counts { ticketCounts { status count } }', variables: {} },
};
const ticket = (i: number) => ({ id: `t${i}`, number: i + 1, subject: `Printer on floor ${i} is out of toner`, status: 'OPEN', assignee: { __typename: 'User', id: `u${i % 7}` }, sla: { state: 'ON_TRACK' } });

/** The subgraphs' answers, made fresh per fetch (the executor writes into what it gets), as JSON would arrive. */
const answers: GraphQLDataSource = {
  async process({ request }) {
    const query = request.query ?? '';
    let data: unknown;
    if (query.includes('_entities')) {
      const representations = (request.variables?.representations ?? []) as { id: string }[];
      data = { _entities: representations.map((r) => ({ name: `Agent ${r.id}`, email: `${r.id}@acme.test` })) };
    } else if (query.includes('ticketCounts')) data = { ticketCounts: ['OPEN', 'IN_PROGRESS', 'PENDING', 'RESOLVED', 'CLOSED'].map((status, i) => ({ status, count: 10 * i + 3 })) };
    else if (query.includes('ticket(')) data = { ticket: ticket(1) };
    else data = { tickets: { nodes: Array.from({ length: 50 }, (_, i) => ticket(i)) } };
    return JSON.parse(JSON.stringify({ data }));
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const server = new ApolloServer({ gateway: new ApolloGateway({ supergraphSdl: sdl, buildService: () => answers }) });
  await server.start();
  const run = async (which: keyof typeof CASES, ops: number) => {
    const { query, variables } = CASES[which];
    const started = process.cpuUsage();
    for (let i = 0; i < ops; i++) {
      const result = await server.executeOperation({ query, variables });
      // Value-completion errors (a null at a non-null position, an unknown enum value) are not
      // in `errors`: @apollo/gateway reports them in `extensions.valueCompletion`.
      if (result.body.kind !== 'single' || result.body.singleResult.errors || result.body.singleResult.extensions?.valueCompletion) throw new Error(`(${which}) answered ${JSON.stringify(result.body)}`);
    }
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000 / ops;
  };
  const modes = { apollo: uninstallResultShaping, compiled: installResultShaping };
  const results: Record<string, number[]> = {};
  // The same answers either way: checked once before timing.
  for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) {
    const seen = [];
    for (const install of Object.values(modes)) {
      install();
      seen.push(JSON.stringify(await server.executeOperation(CASES[which])));
    }
    if (seen[0] !== seen[1]) throw new Error(`(${which}) differs: ${seen[0]} vs ${seen[1]}`);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 ? (['compiled', 'apollo'] as const) : (['apollo', 'compiled'] as const);
    for (const mode of order) {
      modes[mode]();
      for (const which of Object.keys(CASES) as (keyof typeof CASES)[]) {
        await run(which, Math.ceil(OPS / 10)); // warm this mode's paths
        (results[`${which} ${mode}`] ??= []).push(await run(which, OPS));
      }
    }
  }
  await server.stop();
  console.log(`@apollo/gateway execution, CPU ms per request (in process, no HTTP; ${ROUNDS} alternating rounds of ${OPS}; medians), Node ${process.version}:`);
  console.log('| case | Apollo result shaping | compiled (result-shaping.ts) | difference |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const which of Object.keys(CASES)) {
    const [apollo, compiled] = [median(results[`${which} apollo`]!), median(results[`${which} compiled`]!)];
    console.log(`| ${which} | ${apollo.toFixed(3)} | ${compiled.toFixed(3)} | ${(compiled - apollo).toFixed(3)} (${((compiled / apollo - 1) * 100).toFixed(0)}%) |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
