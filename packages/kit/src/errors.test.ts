import { GraphQLError } from 'graphql';
import { BadInputError, NotFoundError, isDatabaseUnavailable, maskError, noteConnectionLost } from './errors';

const format = (e: GraphQLError) => e.toJSON();

describe('maskError', () => {
  it('passes typed errors with their code and extensions', () => {
    const typed = new BadInputError('email', 'email is not valid');
    const located = new GraphQLError(typed.message, { originalError: typed, path: ['createUser'] });
    expect(maskError(format(located), located)).toMatchObject({ message: 'email is not valid', extensions: { code: 'BAD_USER_INPUT', field: 'email' } });
    expect(maskError(format(new NotFoundError('User', '1')), new NotFoundError('User', '1')).extensions!.code).toBe('NOT_FOUND');
  });

  it('masks a thrown exception as INTERNAL_SERVER_ERROR and reports it', () => {
    const thrown = new Error('relation "user" does not exist: select * from user');
    const wrapped = new GraphQLError(thrown.message, { originalError: thrown, path: ['users'] });
    const seen: unknown[] = [];
    const out = maskError(format(wrapped), wrapped, { traceId: 'abc', onInternal: (e) => seen.push(e) });
    expect(out).toEqual({ message: 'Internal server error', path: ['users'], extensions: { code: 'INTERNAL_SERVER_ERROR', traceId: 'abc' } });
    expect(seen).toEqual([wrapped]);
  });

  it('masks an exception even when a library stamped one of our codes on it', () => {
    const thrown = Object.assign(new Error('secret detail'), { extensions: { code: 'NOT_FOUND' } });
    const wrapped = new GraphQLError('secret detail', { originalError: thrown, extensions: { code: 'NOT_FOUND' } });
    expect(maskError(format(wrapped), wrapped).extensions!.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('strips "Did you mean" from validation errors', () => {
    const v = new GraphQLError('Cannot query field "usr" on type "Query". Did you mean "user" or "users"?', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    expect(maskError(format(v), v).message).toBe('Cannot query field "usr" on type "Query".');
  });

  it('masks codes outside the closed set', () => {
    const odd = new GraphQLError('downstream said something', { extensions: { code: 'DOWNSTREAM_SERVICE_ERROR' } });
    expect(maskError(format(odd), odd).extensions!.code).toBe('INTERNAL_SERVER_ERROR');
  });
});

describe('a lost database connection', () => {
  const lost = [
    Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
    Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
    new Error('Connection terminated unexpectedly'),
    Object.assign(new Error('Knex: Timeout acquiring a connection. The pool is probably full.'), { name: 'KnexTimeoutError' }),
    new Error('wrapped', { cause: Object.assign(new Error('x'), { code: '08006' }) }),
  ];
  it('is recognised by SQLSTATE, errno, class or driver message, and nothing else is', () => {
    for (const e of lost) expect({ message: e.message, lost: isDatabaseUnavailable(e) }).toEqual({ message: e.message, lost: true });
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate key value'), { code: '23505' }))).toBe(false);
    expect(isDatabaseUnavailable(new Error('boom'))).toBe(false);
  });
  it("counts knex's ended-transaction error only right after the driver reported a lost connection (npm run chaos, pg_terminate_backend)", () => {
    // What MikroORM throws when a transaction's BEGIN went to a pooled connection the server had closed.
    const ended = Object.assign(new Error('Transaction query already complete, run with DEBUG=knex:tx for more info'), { name: 'DriverException' });
    const t = 1_000_000;
    expect(isDatabaseUnavailable(ended, 0, t)).toBe(false); // no loss reported: a programming error, INTERNAL_SERVER_ERROR
    noteConnectionLost(t);
    expect(isDatabaseUnavailable(ended, 0, t + 500)).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: ended }), 0, t + 500)).toBe(true);
    expect(isDatabaseUnavailable(ended, 0, t + 60_000)).toBe(false); // long after it: a bug again
    expect(isDatabaseUnavailable(new Error('boom'), 0, t + 500)).toBe(false);
  });
  it('answers UPSTREAM_UNAVAILABLE with retryable: true and the service, never INTERNAL_SERVER_ERROR, and says so to onUnavailable', () => {
    const wrapped = new GraphQLError('whatever', { originalError: lost[0], path: ['tickets'] });
    const seen: unknown[] = [];
    const out = maskError(wrapped.toJSON(), wrapped, { service: 'tickets', traceId: 't1', onUnavailable: (e) => seen.push(e), onInternal: () => seen.push('internal') });
    expect(out).toEqual({ message: 'The database is unavailable right now; retry shortly', path: ['tickets'], extensions: { code: 'UPSTREAM_UNAVAILABLE', retryable: true, service: 'tickets', traceId: 't1' } });
    expect(seen).toEqual([wrapped]);
  });
});

describe('a value the database refused', () => {
  it('answers BAD_USER_INPUT (NUL in text, too long, out of range), never INTERNAL_SERVER_ERROR', () => {
    for (const e of [
      Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' }),
      Object.assign(new Error('value too long for type character varying(10)'), { code: '22001' }),
      Object.assign(new Error('index row size exceeds btree maximum'), { code: '54000' }),
      new Error('unsupported Unicode escape sequence'),
    ]) {
      const wrapped = new GraphQLError('x', { originalError: e });
      const seen: unknown[] = [];
      expect(maskError(wrapped.toJSON(), wrapped, { onRefusedValue: (x) => seen.push(x) }).extensions).toEqual({ code: 'BAD_USER_INPUT' });
      expect(seen).toHaveLength(1);
    }
  });
});
