import { env } from './config';
import { defineSubgraph, envPrefix, registryProblems, startOrder, withDependencies, type RegisteredSubgraph } from './registry';

const fake = (name: string, port: number, dependsOn: string[] = [], portDefault = port): RegisteredSubgraph =>
  ({
    name,
    port,
    dependsOn,
    env: { [`${envPrefix(name)}_PORT`]: env.port(portDefault) },
    schema: async () => ({}) as never,
    bootstrap: async () => ({}) as never,
    dir: `/x/${name}`,
    relativeDir: `subgraphs/${name}`,
    packageName: `@switchboard/${name}`,
    main: `subgraphs/${name}/src/main.ts`,
    portVariable: `${envPrefix(name)}_PORT`,
    urlVariable: `${envPrefix(name)}_URL`,
  }) as RegisteredSubgraph;

describe('the subgraph registry', () => {
  it('starts dependencies first, then by port', () => {
    const order = startOrder([fake('conversations', 4002, ['tenants', 'tickets']), fake('tickets', 4003, ['tenants']), fake('tenants', 4001), fake('models', 4005)]);
    expect(order.map((s) => s.name)).toEqual(['tenants', 'tickets', 'conversations', 'models']);
  });

  it('adds what the asked-for subgraphs depend on, in start order', () => {
    const registry = startOrder([fake('tenants', 4001), fake('tickets', 4003, ['tenants']), fake('conversations', 4002, ['tenants', 'tickets']), fake('models', 4005)]);
    expect(withDependencies(registry, ['conversations']).map((s) => s.name)).toEqual(['tenants', 'tickets', 'conversations']);
    expect(() => withDependencies(registry, ['nope'])).toThrow(/no subgraph named "nope"/);
  });

  it('lists every problem: duplicate names and ports, unknown and circular dependencies, a port variable that disagrees', () => {
    const problems = registryProblems([fake('a', 4001, ['b']), fake('b', 4001, ['a']), fake('c', 4003, ['ghost']), fake('d', 4004, [], 4444), fake('a', 4005)]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/two subgraphs are named "a"/),
        expect.stringMatching(/b and a both use port 4001/),
        expect.stringMatching(/c depends on "ghost"/),
        expect.stringMatching(/d: D_PORT must default to its port 4004/),
      ]),
    );
    expect(registryProblems([fake('a', 4001, ['b']), fake('b', 4002, ['a'])])).toEqual([expect.stringMatching(/dependencies form a cycle: a, b/)]);
    expect(registryProblems([fake('tenants', 4001), fake('tickets', 4003, ['tenants'])])).toEqual([]);
  });

  it('takes lowercase names only, and derives the variables from them', () => {
    expect(() => defineSubgraph({ ...fake('x', 1), name: 'Tickets' })).toThrow(/lowercase/);
    expect(envPrefix('live-chat')).toBe('LIVE_CHAT');
  });
});
