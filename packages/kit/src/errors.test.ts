import { GraphQLError } from 'graphql';
import { BadInputError, NotFoundError, maskError } from './errors';

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
