import { composeServices } from '@apollo/composition';
import { loadRegistry } from '@switchboard/kit';
import { parse } from 'graphql';
import { assertPartialDataSafe, contributedFields } from '../src/partial-data';
import { composeSupergraph, readCheckedIn } from '../src/compose';
import { fillRegions, renderDeploymentFiles } from '../src/deploy';

describe('schema/ (checked in)', () => {
  it('composes without errors and matches what `npm run compose` prints now', async () => {
    const composition = await composeSupergraph();
    for (const s of composition.subgraphs) {
      expect({ file: `subgraphs/${s.name}.graphql`, sdl: readCheckedIn(`subgraphs/${s.name}.graphql`) }).toEqual({ file: `subgraphs/${s.name}.graphql`, sdl: s.sdl });
    }
    // A plain equality on 1,000 lines prints poorly; say what to do instead.
    const fresh = readCheckedIn('supergraph.graphql') === composition.supergraph;
    if (!fresh) throw new Error('schema/supergraph.graphql is stale: run `npm run compose` and commit the result');
  });

  it('composes every subgraph of the registry, and only those', async () => {
    const names = loadRegistry().map((s) => s.name);
    const composition = await composeSupergraph();
    expect(composition.subgraphs.map((s) => s.name)).toEqual(names);
    const graphs = [...composition.supergraph.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g)].map((m) => [m[1], m[2]]);
    expect(graphs.map(([n]) => n).sort()).toEqual([...names].sort());
    for (const s of loadRegistry()) expect(graphs).toContainEqual([s.name, `http://127.0.0.1:${s.port}/graphql`]);
  });
});

describe('deployment files (checked in)', () => {
  it('name every subgraph of the registry, as `npm run compose` writes them now', () => {
    for (const f of renderDeploymentFiles(loadRegistry())) {
      if (f.current !== f.fresh) throw new Error(`${f.path} is stale: run \`npm run compose\` and commit the result`);
    }
    const compose = renderDeploymentFiles(loadRegistry()).find((f) => f.path === 'docker-compose.yml')!.current;
    for (const s of loadRegistry()) {
      expect(compose).toContain(`SERVICE_MAIN: ${s.main}`);
      expect(compose).toContain(`${s.urlVariable}: http://${s.name}:${s.port}/graphql`);
    }
  });

  it('replace only what lies between the markers, and refuse a file without them', () => {
    const text = ['keep', '# >>> generated: a (x)', 'old', '# <<< generated: a', 'keep too'].join('\n');
    expect(fillRegions(text, { a: ['new 1', 'new 2'] })).toBe(['keep', '# >>> generated: a (x)', 'new 1', 'new 2', '# <<< generated: a', 'keep too'].join('\n'));
    expect(() => fillRegions('nothing here', { a: [] }, 'Dockerfile')).toThrow(/Dockerfile: no generated region/);
    expect(() => fillRegions('# >>> generated: a', { a: [] }, 'f')).toThrow(/no end marker/);
  });
});

describe('the partial-data check of `npm run compose`', () => {
  const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])';
  const compose = (contributed: string) => {
    const result = composeServices([
      { name: 'owner', url: 'http://127.0.0.1:1/graphql', typeDefs: parse(`${federation}\ntype Query { me: User }\ntype User @key(fields: "id") { id: ID! name: String! email: String! }`) },
      { name: 'other', url: 'http://127.0.0.1:2/graphql', typeDefs: parse(`${federation}\ntype Query { things: [String!] }\ntype User @key(fields: "id") { id: ID! ${contributed} }`) },
    ]);
    if (result.errors) throw result.errors[0];
    return result.supergraphSdl;
  };

  it('fails on a non-null field one subgraph contributes to another subgraph’s entity, naming it', () => {
    expect(() => assertPartialDataSafe(compose('openCount: Int! recent: [String!]!'))).toThrow(/User\.openCount \(from other, entity owned by owner\)[\s\S]*User\.recent/);
    expect(contributedFields(compose('openCount: Int'))).toEqual([{ type: 'User', field: 'openCount', owner: 'OWNER', from: ['OTHER'], nonNull: false }]);
    expect(() => assertPartialDataSafe(compose('openCount: Int recent: [String!]'))).not.toThrow();
  });

  it('holds for the checked-in supergraph: tickets’ fields on User and Conversation are nullable', () => {
    const supergraph = readCheckedIn('supergraph.graphql');
    expect(() => assertPartialDataSafe(supergraph)).not.toThrow();
    const fields = contributedFields(supergraph).map((f) => `${f.type}.${f.field}`);
    expect(fields).toEqual(expect.arrayContaining(['User.openTicketCount', 'User.assignedTickets', 'Conversation.tickets']));
  });
});
