import { loadRegistry } from '@switchboard/kit';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nextPort, scaffoldSubgraph } from '../../templates/new-subgraph';
import { composeSupergraph } from '../src/compose';
import { renderDeploymentFiles } from '../src/deploy';
import { codes, startStack, type Stack } from './stack';

/**
 * `npm run new:subgraph`: a subgraph scaffolded into a folder of its own (inside the
 * checkout, under the git-ignored .data/, so it resolves the workspace's packages, but outside
 * the workspaces, so no other test file sees it) is found by the registry, composes with the
 * real subgraphs, lands in the deployment files, and answers its example query through the
 * gateway with its demo data.
 */
const ROOT = path.resolve(__dirname, '../..');
const name = `probe${randomBytes(3).toString('hex')}`;
const base = path.join(ROOT, '.data', `scaffold-${name}`);
const dir = path.join(base, name);
let stack: Stack | undefined;

beforeAll(() => mkdirSync(base, { recursive: true }));
afterAll(async () => {
  await stack?.close();
  rmSync(base, { recursive: true, force: true });
});

describe('npm run new:subgraph', () => {
  it('refuses a bad name, a taken name and a taken port, writing nothing', () => {
    expect(() => scaffoldSubgraph({ name: 'Bad-Name', dir })).toThrow(/not a subgraph name/);
    expect(() => scaffoldSubgraph({ name: 'tickets', dir })).toThrow(/exists already/);
    expect(() => scaffoldSubgraph({ name, dir, port: loadRegistry()[0]!.port })).toThrow(/port \d+ is taken/);
    expect(existsSync(dir)).toBe(false);
  });

  it('scaffolds a subgraph the registry finds, that composes, deploys and answers through the gateway', async () => {
    const { port, files } = scaffoldSubgraph({ name, dir });
    expect(port).toBe(nextPort(loadRegistry()));
    const rel = (f: string) => path.relative(dir, f).split(path.sep).join('/');
    expect(files.map(rel)).toEqual(
      expect.arrayContaining(['package.json', 'src/main.ts', 'src/subgraph.ts', 'src/env.ts', 'src/app.ts', 'src/schema.ts', 'src/context.ts', 'src/loaders.ts', 'src/migrations/index.ts', 'test/items.test.ts']),
    );
    expect(readFileSync(path.join(dir, 'src/main.ts'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(path.join(dir, 'src/app.ts'), 'utf8')).not.toMatch(/sample/i);

    const registry = loadRegistry({ include: [dir] });
    const found = registry.find((s) => s.name === name)!;
    expect(found).toMatchObject({ port, portVariable: `${name.toUpperCase()}_PORT`, urlVariable: `${name.toUpperCase()}_URL`, dependsOn: ['tenants'] });
    expect(registry.map((s) => s.name).indexOf(name)).toBeGreaterThan(registry.map((s) => s.name).indexOf('tenants'));

    const composition = await composeSupergraph(registry);
    expect(composition.subgraphs.map((s) => s.name)).toContain(name);
    expect(composition.supergraph).toContain(`${name}Items(`);
    const compose = renderDeploymentFiles(registry).find((f) => f.path === 'docker-compose.yml')!.fresh;
    expect(compose).toContain(`${found.urlVariable}: http://${name}:${port}/graphql`);
    expect(compose).toContain(`${found.portVariable}: "${port}"`);

    const supergraphPath = path.join(base, 'supergraph.graphql');
    writeFileSync(supergraphPath, composition.supergraph);
    stack = await startStack({ registry, subgraphs: [name], seed: 'all', supergraphPath });
    const admin = await stack.as('admin@acme.test');
    const list = await stack.gql(`{ ${name}Items(first: 10) { totalCount nodes { id name } } }`, {}, admin);
    expect(list.errors).toBeUndefined();
    expect(list.data[`${name}Items`].totalCount).toBe(3);

    const created = await stack.gql(`mutation($n: String!) { item: create${name[0]!.toUpperCase()}${name.slice(1)}Item(input: { name: $n }) { id name } }`, { n: 'Through the gateway' }, admin);
    expect(created.data?.item.name).toBe('Through the gateway');
    const id = created.data.item.id;
    // Another tenant's id is NOT_FOUND, exactly like one that does not exist.
    const other = await stack.gql(`query($id: ID!) { ${name}Item(id: $id) { name } }`, { id }, await stack.as('admin@globex.test'));
    expect(codes(other)).toEqual(['NOT_FOUND']);
  });
});
