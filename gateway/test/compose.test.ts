import { loadRegistry } from '@switchboard/kit';
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
