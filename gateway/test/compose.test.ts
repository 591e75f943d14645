import { composeSupergraph, readCheckedIn } from '../src/compose';

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
});
