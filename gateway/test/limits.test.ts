import path from 'node:path';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { buildSchema, getIntrospectionQuery, parse, type OperationDefinitionNode } from 'graphql';
import { measureOperation } from '../src/edge/limits';
import { codes } from './stack';
import { startEdgeStack, type EdgeStack } from './edge-stack';

let stack: EdgeStack;
let admin: Record<string, string>;
beforeAll(async () => {
  stack = await startEdgeStack();
  admin = await stack.as('admin@acme.test');
});
afterAll(() => stack.close());

/** `tenant { users(first: 1) { nodes { tenant { … } } } }` nested to `depth` fields, ending in `id`. */
function nested(depth: number): string {
  const levels = ['tenant', 'users(first: 1)', 'nodes'];
  let open = '';
  let close = '';
  for (let i = 0; i < depth - 1; i++) {
    open += `${levels[i % 3]} { `;
    close += ' }';
  }
  const leaf = (depth - 1) % 3 === 2 ? 'totalCount' : 'id'; // a connection has no id
  return `{ ${open}${leaf}${close} }`;
}

async function refusedFor(query: string, limit: string) {
  const res = await stack.gql(query, {}, admin);
  expect(res.status).toBe(400);
  expect(codes(res)).toEqual(['OPERATION_TOO_COMPLEX']);
  expect(res.errors![0]!.extensions).toMatchObject({ limit });
  expect(res.data).toBeUndefined();
  return res.errors![0]!;
}

async function accepted(query: string) {
  const res = await stack.gql(query, {}, admin);
  expect(res.errors).toBeUndefined();
  expect(res.status).toBe(200);
  return res;
}

describe('operation limits (defaults)', () => {
  it('depth: 10 levels run, 11 are refused', async () => {
    await accepted(nested(10));
    const error = await refusedFor(nested(11), 'depth');
    expect(error.extensions).toMatchObject({ max: 10, actual: 11 });
    expect(error.message).toMatch(/nested 11 fields deep; the limit is 10/);
  });

  it('aliases: 15 run, 16 are refused', async () => {
    const aliased = (n: number) => `{ tenant { ${Array.from({ length: n }, (_, i) => `a${i}: slug`).join(' ')} } }`;
    await accepted(aliased(15));
    expect((await refusedFor(aliased(16), 'aliases')).extensions).toMatchObject({ max: 15, actual: 16 });
  });

  it('aliases spread through a fragment count once per spread', async () => {
    const query = `{ tenant { ...A ...B } } fragment A on Tenant { ${Array.from({ length: 8 }, (_, i) => `a${i}: slug`).join(' ')} } fragment B on Tenant { ${Array.from({ length: 8 }, (_, i) => `b${i}: name`).join(' ')} }`;
    expect((await refusedFor(query, 'aliases')).extensions).toMatchObject({ actual: 16 });
  });

  it('root fields: 20 run, 21 are refused', async () => {
    const roots = (n: number) => `{ ${Array.from({ length: n }, () => 'tenant { slug }').join(' ')} }`;
    await accepted(roots(20));
    expect((await refusedFor(roots(21), 'rootFields')).extensions).toMatchObject({ max: 20, actual: 21 });
  });

  it('directives: 50 run, 51 are refused', async () => {
    const directed = (n: number) => `{ tenant { ${Array.from({ length: n }, () => 'slug @include(if: true)').join(' ')} } }`;
    await accepted(directed(50));
    expect((await refusedFor(directed(51), 'directives')).extensions).toMatchObject({ max: 50, actual: 51 });
  });

  it('tokens: 2,000 parse, 2,001 answer 400 GRAPHQL_PARSE_FAILED (not 500)', async () => {
    // `{ tenant {` + n spreads (2 tokens each) + `} }` + the fragment.
    const spreads = (n: number, fields: string) => `{ tenant { ${'...F '.repeat(n)}} } fragment F on Tenant { ${fields} }`;
    await accepted(spreads(993, 'slug name id')); // 5 + 1,986 + 9 = 2,000 tokens
    const res = await stack.gql(spreads(994, 'slug name'), {}, admin); // 5 + 1,988 + 8 = 2,001
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(res.errors![0]!.message).toMatch(/more th\w+ 2000 tokens/);
  });

  it('cost: 10,000 runs, 10,001 is refused with the cost in extensions', async () => {
    // users(first: 99) → 1 + 99 × (nodes 1 + tenant 1 + users(first: 49) (1 + 49 × (nodes 1 + id 1))) = 10,000
    const costly = `{ users(first: 99) { nodes { tenant { users(first: 49) { nodes { id } } } } } }`;
    await accepted(costly);
    const error = await refusedFor(costly.replace(/ }$/, ' __typename }'), 'cost');
    expect(error.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', max: 10_000, cost: 10_001, actual: 10_001 });
  });

  it('are refused before any subgraph is asked', async () => {
    const subgraphRequests = () => stack.base.logs.filter((l) => l.service === 'tenants' && l.msg === 'graphql request').length;
    const before = subgraphRequests();
    await refusedFor(nested(11), 'depth');
    expect(subgraphRequests()).toBe(before); // (the credential check is a plain HTTP route, not GraphQL)
  });
});

describe('operation limits from the environment', () => {
  /** The manifest's tenants and users operations only, so these limits do not depend on what other subgraphs add. */
  function usersManifest(): string {
    const full = JSON.parse(readFileSync(path.resolve(__dirname, '../../schema/persisted-documents.json'), 'utf8')) as { operations: { name: string }[] };
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'manifest-')), 'persisted-documents.json');
    writeFileSync(file, JSON.stringify({ ...full, operations: full.operations.filter((o) => ['TenantInfo', 'UsersPage', 'UserById'].includes(o.name)) }));
    return file;
  }

  it('applies OPERATION_MAX_DEPTH and OPERATION_MAX_COST', async () => {
    // 1,001 is the costliest of these operations (UsersPage: a variable `first` counts as 100).
    const strict = await stack.startGateway({ OPERATION_MAX_DEPTH: '3', OPERATION_MAX_COST: '1001', PERSISTED_DOCUMENTS_PATH: usersManifest() });
    const shallow = await stack.gql(nested(3), {}, admin, strict);
    expect(shallow.errors).toBeUndefined();
    const deep = await stack.gql(nested(4), {}, admin, strict);
    expect(deep.errors![0]!.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit: 'depth', max: 3, actual: 4 });
    const wide = await stack.gql(`{ users(first: 100) { totalCount pageInfo { hasNextPage endCursor } nodes { id email name role skills createdAt } } }`, {}, admin, strict);
    expect(codes(wide)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(wide.errors![0]!.extensions).toMatchObject({ limit: 'cost', max: 1001, cost: 1 + 100 * (1 + 3 + 7) });
  });

  it('checks the manifest once at start: a manifest operation over a limit stops the gateway from starting', async () => {
    const manifest = usersManifest();
    await expect(stack.startGateway({ OPERATION_MAX_COST: '1000', PERSISTED_DOCUMENTS_PATH: manifest })).rejects.toThrow(/UsersPage: Operation UsersPage has an estimated cost of 1001; the limit is 1000/);
    await expect(stack.startGateway({ OPERATION_MAX_TOKENS: '20', PERSISTED_DOCUMENTS_PATH: manifest })).rejects.toThrow(/more th\w+ 20 tokens/);
  });
});

describe('introspection', () => {
  it('accepts the full introspection query an IDE sends', async () => {
    const res = await accepted(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true }));
    expect(res.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('refuses introspection lists nested past three (graphql’s MaxIntrospectionDepthRule)', async () => {
    const two = `{ __type(name: "User") { fields { type { fields { name } } } } }`;
    expect((await stack.gql(two, {}, admin)).errors).toBeUndefined();
    const three = `{ __type(name: "User") { fields { type { fields { type { fields { name } } } } } } }`;
    const res = await stack.gql(three, {}, admin);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(res.errors![0]!.message).toBe('Maximum introspection depth exceeded');
  });
});

describe('measureOperation', () => {
  const schema = buildSchema(`
    type Query { users(first: Int, last: Int, after: String): UserConnection! apiKeys: [ApiKey!]! tenant: Tenant! }
    type UserConnection { nodes: [User!]! totalCount: Int! }
    type User { id: ID! email: String! skills: [String!]! tenant: Tenant! }
    type Tenant { slug: String! name: String! users(first: Int): UserConnection! }
    type ApiKey { id: ID! name: String! }
    directive @x on QUERY
    directive @y on FRAGMENT_DEFINITION
    directive @z on FIELD
  `);
  const measure = (query: string) => {
    const doc = parse(query);
    return measureOperation(schema, doc, doc.definitions.find((d) => d.kind === 'OperationDefinition') as OperationDefinitionNode, 20);
  };

  it('multiplies what a connection selects by first, and counts its nodes once per item', () => {
    expect(measure(`{ users(first: 10) { totalCount nodes { id email } } }`).cost).toBe(1 + 10 * (1 + (1 + 2)));
  });

  it('counts a variable first as the largest page, a missing one as the default list size', () => {
    expect(measure(`query($n: Int = 5) { users(first: $n) { nodes { id } } }`).cost).toBe(1 + 100 * 2);
    expect(measure(`{ users { nodes { id } } }`).cost).toBe(1 + 20 * 2);
    expect(measure(`{ apiKeys { id name } }`).cost).toBe(1 + 20 * 2); // a plain list
    expect(measure(`{ users(first: 2) { nodes { skills } } }`).cost).toBe(1 + 2 * 2); // scalar lists cost 1
  });

  it('takes the larger of first and last', () => {
    expect(measure(`{ users(first: 3, last: 7) { nodes { id } } }`).cost).toBe(1 + 7 * 2);
  });

  it('measures fragments where they are spread, in linear time however large the expansion', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice, … : 2^30 expansions of the last fragment.
    const levels = 30;
    let doc = `{ tenant { ...F0 } }`;
    for (let i = 0; i < levels; i++) doc += ` fragment F${i} on Tenant { ...F${i + 1} ... on Tenant { ...F${i + 1} } }`;
    doc += ` fragment F${levels} on Tenant { slug x: name }`;
    const m = measure(doc);
    expect(m.cost).toBe(1 + 2 ** levels * 2);
    expect(m.aliases).toBe(2 ** levels);
    expect(m.depth).toBe(2);
  });

  it('survives fragment cycles (graphql refuses them separately)', () => {
    const m = measure(`{ tenant { ...A } } fragment A on Tenant { slug ...B } fragment B on Tenant { name ...A }`);
    expect(m.cost).toBeGreaterThan(1);
  });

  it('counts directives on the operation, its variables, fields, spreads and fragments', () => {
    expect(measure(`query Q($a: Boolean = true) @x { tenant @include(if: $a) { ...F @skip(if: false) } } fragment F on Tenant @y { slug @z }`).directives).toBe(5);
  });
});
