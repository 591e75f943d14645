import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { GraphQLError } from 'graphql';
import { describeError, redactUrls } from './errors';
import { formatErrorFor } from './http';
import { createLogger } from './logger';
import { operationLabels } from './metrics';

function capture() {
  const lines: string[] = [];
  return { lines, logger: createLogger({ service: 't' }, 'debug', (line) => lines.push(line)) };
}

/** What pg raises for a duplicate email, wrapped as MikroORM wraps it. */
function duplicateEmail(): Error {
  const pg = Object.assign(
    new Error(`insert into "tenants"."user" ("email", "name") values ('ceo@secret.test', 'Jo') returning "id" - duplicate key value violates unique constraint "user_email_key"`),
    { code: '23505', severity: 'ERROR', detail: 'Key (email)=(ceo@secret.test) already exists.', constraint: 'user_email_key', table: 'user', schema: 'tenants' },
  );
  return new UniqueConstraintViolationException(pg);
}

describe('logging masked errors', () => {
  it('logs a driver error with its class, SQLSTATE and constraint, never the SQL or the values', () => {
    const { lines, logger } = capture();
    const error = duplicateEmail();
    const wrapped = new GraphQLError(error.message, { originalError: error, path: ['createUser'] });
    const out = formatErrorFor(logger)(wrapped.toJSON(), wrapped);
    expect(out.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).not.toMatch(/ceo@secret\.test|insert into|values \(/);
    const entry = JSON.parse(line);
    expect(entry).toMatchObject({ level: 'error', msg: 'unexpected error', path: ['createUser'] });
    expect(entry.error).toMatchObject({ name: 'UniqueConstraintViolationException', sqlState: '23505', constraint: 'user_email_key', table: 'user' });
    expect(entry.error.stack).toMatch(/^\s+at /); // frames kept, the message line dropped
  });

  it('keeps the message of other errors, with URL credentials redacted', () => {
    const described = describeError(new TypeError('cannot reach redis://:hunter2@cache:6379/0')) as Record<string, string>;
    expect(described).toMatchObject({ name: 'TypeError', message: 'cannot reach redis://:***@cache:6379/0' });
  });
});

describe('redacting URLs', () => {
  it('removes the password from any URL in any field or message', () => {
    const { lines, logger } = capture();
    logger.warn('connecting to redis://default:hunter2@cache:6379', { url: 'rediss://user:s3cret@host:6380/1', nested: { db: 'postgres://app:pw@db/x' }, list: ['amqp://a:b@q'] });
    expect(lines[0]).not.toMatch(/hunter2|s3cret|:pw@|a:b@/);
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toBe('connecting to redis://default:***@cache:6379');
    expect(entry.url).toBe('rediss://user:***@host:6380/1');
    expect(entry.nested.db).toBe('postgres://app:***@db/x');
    expect(redactUrls('http://example.test/a:b@c')).toBe('http://example.test/a:b@c'); // a path, not credentials
  });
});

describe('operation labels', () => {
  it('labels known operations always, a bounded number of others, then `other`', () => {
    const label = operationLabels(['Known'], 2);
    const seen = [undefined, 'A', 'B', 'C', 'A', 'Known', 'bad-name', 'Known'].map((n) => label(n));
    expect(seen).toEqual(['anonymous', 'A', 'B', 'other', 'A', 'Known', 'other', 'Known']);
  });
});
