import { mayIntrospect } from '../src/plugins';
import { codes } from './stack';
import { startEdgeStack, type EdgeStack } from './edge-stack';

let stack: EdgeStack;
let admin: Record<string, string>;
let url: string;
beforeAll(async () => {
  stack = await startEdgeStack();
  admin = await stack.as('admin@acme.test');
  url = stack.gateway.url;
});
afterAll(() => stack.close());

/** Raw HTTP, for bodies and content types the JSON helper cannot send. */
async function raw(init: RequestInit & { path?: string }) {
  const res = await fetch(init.path ? url.replace('/graphql', init.path) : url, init);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

const LEAKS = [/did you mean/i, /stacktrace/i, /\bat .*\.(ts|js):\d+/, /node_modules/, /\bselect\b.*\bfrom\b/i, /<html/i];
function expectNoLeak(text: string) {
  for (const leak of LEAKS) expect(text).not.toMatch(leak);
}

describe('request bodies', () => {
  it('refuses an unpaired surrogate in the document (the parser) and in the variables (BAD_USER_INPUT naming it), every time it is sent', async () => {
    const send = async (body: object) => raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify(body) });
    for (let i = 0; i < 2; i++) {
      // A lone surrogate as a character, as an escape, and in a block string.
      for (const literal of ['"\ud800"', '"\\ud800"', '"""\ud800"""']) {
        const res = await send({ query: `{ tenant { users(after: ${literal}, first: 1) { nodes { id } } } }` });
        expect(res.status).toBe(400);
        expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      }
      const res = await send({ query: `query($a: String) { tenant { users(after: $a, first: 1) { nodes { id } } } }`, variables: { a: 'x\ud800' } });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'a' });
    }
  });

  it('refuses a 1 MB body with 413 and a JSON error', async () => {
    const body = JSON.stringify({ query: `{ tenant { slug } }`, variables: { pad: 'x'.repeat(1024 * 1024) } });
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body });
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.json.errors[0].message).toMatch(/256 KB/);
  });

  it('accepts a body just under 256 KB', async () => {
    const pad = 'x'.repeat(256 * 1024 - 200);
    const body = JSON.stringify({ query: `# ${pad}\n{ tenant { slug } }` }); // comments are not tokens
    expect(body.length).toBeLessThan(256 * 1024);
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body });
    expect(res.status).toBe(200);
    expect(res.json.data).toEqual({ tenant: { slug: 'acme' } });
  });

  it('refuses a batch (a JSON array) with 400 BAD_REQUEST and runs none of it', async () => {
    const login = { query: 'mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token } }' };
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([login, login]) });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.json.errors[0].message).toMatch(/Batched operations are not supported/);
    expect(res.json.data).toBeUndefined();
  });

  it('answers malformed JSON with 400 and a JSON body (no stack, no HTML)', async () => {
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: '{"query": "{ tenant { slug } }"' });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
    expectNoLeak(res.text);
  });

  it('answers a body that is not an object, or has no query, with 400', async () => {
    for (const body of ['"just a string"', '42', 'null', '{}']) {
      const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    }
  });
});

describe('CSRF prevention', () => {
  it('refuses text/plain and form bodies (what a cross-site form can send) with 415', async () => {
    const body = JSON.stringify({ query: 'mutation { login(email: "admin@acme.test", password: "switchboard-demo") { token } }' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await raw({ method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status).toBe(415);
      expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(res.text).not.toContain('token');
    }
    const none = await raw({ method: 'POST', body });
    expect(none.status).toBe(415);
  });

  it('refuses a mutation over GET with 405, and runs nothing', async () => {
    const before = (await stack.gql(`{ apiKeys { id } }`, {}, admin)).data.apiKeys.length;
    const q = encodeURIComponent('mutation { createApiKey(input: { name: "via get", scopes: ["tenant:read"] }) { secret } }');
    const res = await raw({ method: 'GET', path: `/graphql?query=${q}`, headers: { ...admin, 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(res.headers.get('allow')).toBe('POST');
    expect((await stack.gql(`{ apiKeys { id } }`, {}, admin)).data.apiKeys.length).toBe(before);
  });

  it('refuses a GET with no preflighted header (a cross-site <img> or link) and runs a query with one', async () => {
    const q = encodeURIComponent('{ tenant { slug } }');
    const simple = await raw({ method: 'GET', path: `/graphql?query=${q}`, headers: admin });
    expect(simple.status).toBe(400);
    expect(simple.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await raw({ method: 'GET', path: `/graphql?query=${q}`, headers: { ...admin, 'apollo-require-preflight': 'true' } });
    expect(preflighted.json.data).toEqual({ tenant: { slug: 'acme' } });
  });

  it('answers other methods with 405', async () => {
    const res = await raw({ method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

describe('GraphQL errors', () => {
  it('answers an unknown operationName with 400 BAD_REQUEST, never 5xx', async () => {
    const res = await stack.send({ query: 'query A { tenant { slug } } query B { me { id } }', operationName: 'C' }, admin);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['BAD_REQUEST']);
    expect(res.errors![0]!.message).toBe('Unknown operation named "C".');
    const missing = await stack.send({ query: 'query A { tenant { slug } } query B { me { id } }' }, admin);
    expect(missing.status).toBe(400);
    expect(codes(missing)).toEqual(['BAD_REQUEST']);
    const anonymous = await stack.send({ query: 'mutation A { login(email: "a@b.c", password: "x") { token } }', operationName: 'Z' });
    expect(anonymous.status).toBe(400);
    expect(codes(anonymous)).toEqual(['BAD_REQUEST']);
    expect(stack.logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('gives a misspelled field, argument or enum value no suggestion', async () => {
    const field = await stack.gql(`{ tenant { slgu } }`, {}, admin);
    expect(field.status).toBe(400);
    expect(codes(field)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(field.errors![0]!.message).toBe('Cannot query field "slgu" on type "Tenant".');
    const arg = await stack.gql(`{ users(frist: 2) { totalCount } }`, {}, admin);
    expect(arg.errors![0]!.message).toBe('Unknown argument "frist" on field "Query.users".');
    const value = await stack.gql(`mutation { updateUserRole(id: "x", role: OWNR) { id } }`, {}, admin);
    expect(value.errors![0]!.message).not.toMatch(/did you mean/i);
    const variable = await stack.gql(`mutation($r: Role!) { updateUserRole(id: "x", role: $r) { id } }`, { r: 'OWNR' }, admin);
    expect(codes(variable)).toEqual(['BAD_USER_INPUT']);
    for (const res of [field, arg, value, variable]) expectNoLeak(JSON.stringify(res));
  });

  it('carries no stack trace in development mode either', async () => {
    expect(stack.gateway.config.NODE_ENV).toBe('development');
    const res = await stack.gql(`{ tenant { slgu } }`, {}, admin);
    expect(Object.keys(res.errors![0]!.extensions!)).toEqual(['code']);
  });
});

describe('introspection', () => {
  const INTROSPECT = `{ __schema { queryType { name } } }`;

  it('is refused to anonymous callers', async () => {
    for (const q of [INTROSPECT, `{ __type(name: "User") { name } }`, `{ ...F } fragment F on Query { __schema { types { name } } }`]) {
      const res = await stack.gql(q);
      expect(res.status).toBe(401);
      expect(codes(res)).toEqual(['UNAUTHENTICATED']);
      expect(res.data).toBeUndefined();
    }
  });

  it('is allowed to a signed-in analyst and to first-party keys', async () => {
    const analyst = await stack.gql(INTROSPECT, {}, await stack.as('analyst@acme.test'));
    expect(analyst.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const key = await stack.apiKey('admin@acme.test', 'FIRST_PARTY', ['tenant:read']);
    expect((await stack.gql(INTROSPECT, {}, key)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('is refused to partner keys', async () => {
    const partner = await stack.apiKey('admin@acme.test', 'PARTNER', ['tenant:read']);
    const res = await stack.gql(INTROSPECT, {}, partner);
    expect(res.status).toBe(400);
    expect(codes(res)).toEqual(['PERSISTED_QUERY_ID_REQUIRED']); // the safelist refuses it first
    // …and behind the safelist, the introspection rule itself:
    const identity = { roles: [], scopes: [], exp: 0 };
    expect(mayIntrospect({ ...identity, kind: 'apiKey', apiKeyKind: 'PARTNER' })).toBe(false);
    expect(mayIntrospect({ ...identity, kind: 'anonymous' })).toBe(false);
    expect(mayIntrospect({ ...identity, kind: 'apiKey', apiKeyKind: 'FIRST_PARTY' })).toBe(true);
    expect(mayIntrospect({ ...identity, kind: 'user', roles: ['ANALYST'] })).toBe(true);
  });
});

describe('no IDE on /graphql', () => {
  it('shows a browser a short page linking to /explorer, with no script, Sandbox or landing page', async () => {
    const res = await raw({ method: 'GET', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).toContain('href="/explorer"');
    expect(res.text).not.toMatch(/<script|sandbox|apollographql|embeddable|graphiql/i);
  });

  it('answers a GET with no operation from a non-browser as a JSON error', async () => {
    const res = await raw({ method: 'GET', headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('sends no x-powered-by header', async () => {
    const res = await raw({ method: 'POST', headers: { 'content-type': 'application/json', ...admin }, body: JSON.stringify({ query: '{ tenant { slug } }' }) });
    expect(res.headers.get('x-powered-by')).toBeNull();
  });
});
