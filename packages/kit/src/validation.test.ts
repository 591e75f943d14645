import { ERROR_CODES } from './errors';
import { HTTP_STATUS, httpStatusFor } from './http-status';
import type { Caller } from './auth';
import { directoryTableSql } from './directory';
import { checkAssignment } from './rules';
import { category, email, httpUrl, metadata, mimeType, tags, text } from './validation';

const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { extensions: { code: string; field: string } }).extensions;
  }
  return null;
};

describe('input validation', () => {
  it('refuses NUL in text, emails, tags, categories and metadata keys and values, naming the field', () => {
    expect(fieldOf(() => text('a\u0000', 'subject', 10))).toEqual({ code: 'BAD_USER_INPUT', field: 'subject' });
    expect(fieldOf(() => email('a\u0000@b.co', 'email'))).toMatchObject({ field: 'email' });
    expect(fieldOf(() => tags(['ok', '\u0000']))).toMatchObject({ field: 'tags' });
    expect(fieldOf(() => category('x\u0000'))).toMatchObject({ field: 'category' });
    expect(fieldOf(() => metadata({ 'k\u0000': 1 }))).toMatchObject({ field: 'metadata' });
    expect(fieldOf(() => metadata({ k: ['v\u0000'] }))).toMatchObject({ field: 'metadata' });
  });

  it('normalises what it accepts', () => {
    expect(text('  hi  ', 'f', 2)).toBe('hi');
    expect(email(' Pat@Example.COM ', 'e')).toBe('pat@example.com');
    expect(tags([' VIP', 'vip', 'billing'])).toEqual(['vip', 'billing']);
    expect(category('  ')).toBeNull();
    expect(mimeType('Text/Plain; charset=utf-8', 'm')).toBe('text/plain; charset=utf-8');
    expect(httpUrl('https://files.example.com/a b.pdf', 'u')).toBe('https://files.example.com/a b.pdf');
    expect(metadata(null)).toEqual({});
  });

  it('holds metadata to its key count, key length, depth and size', () => {
    expect(fieldOf(() => metadata(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]))))).toBeNull();
    expect(fieldOf(() => metadata(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]))))).toMatchObject({ field: 'metadata' });
    expect(fieldOf(() => metadata({ ['k'.repeat(101)]: 1 }))).toMatchObject({ field: 'metadata' });
    expect(fieldOf(() => metadata({ a: { b: { c: { d: 1 } } } }))).toBeNull();
    expect(fieldOf(() => metadata({ a: { b: { c: { d: { e: { f: 1 } } } } } }))).toMatchObject({ field: 'metadata' });
    expect(fieldOf(() => metadata({ blob: 'x'.repeat(8200) }))).toMatchObject({ field: 'metadata' });
    expect(fieldOf(() => metadata('text'))).toMatchObject({ field: 'metadata' });
  });

  it('refuses non-http(s) and malformed URLs and MIME types', () => {
    for (const url of ['ftp://x.org/a', 'javascript:alert(1)', 'http://', 'not a url']) expect(fieldOf(() => httpUrl(url, 'url'))).toMatchObject({ field: 'url' });
    for (const type of ['pdf', 'a/b/c', 'text/', '/plain']) expect(fieldOf(() => mimeType(type, 'mimeType'))).toMatchObject({ field: 'mimeType' });
  });
});

describe('assignment rules', () => {
  const agent: Caller = { kind: 'user', tenantId: 't', userId: 'me', roles: ['AGENT'], scopes: [], exp: 0 };
  const supervisor: Caller = { ...agent, userId: 'sup', roles: ['SUPERVISOR'] };
  const key: Caller = { kind: 'apiKey', tenantId: 't', apiKeyId: 'k', roles: [], scopes: ['tickets:write'], exp: 0 };
  const item = (currentAssigneeId: string | null) => ({ what: 'ticket', currentAssigneeId });
  it('lets agents take unassigned items (or their own) for themselves only', () => {
    expect(() => checkAssignment(agent, item(null), 'me')).not.toThrow();
    expect(() => checkAssignment(agent, item('me'), 'me')).not.toThrow();
    expect(() => checkAssignment(agent, item(null), undefined)).not.toThrow();
    expect(fieldOf(() => checkAssignment(agent, item('other'), 'me'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(fieldOf(() => checkAssignment(agent, item('other'), undefined))).toMatchObject({ code: 'FORBIDDEN' });
    expect(fieldOf(() => checkAssignment(agent, item(null), 'other'))).toMatchObject({ code: 'FORBIDDEN' });
    expect(fieldOf(() => checkAssignment(agent, item('me'), null))).toMatchObject({ code: 'FORBIDDEN' });
  });
  it('lets SUPERVISOR and up, and write-scoped keys, take over', () => {
    expect(() => checkAssignment(supervisor, item('other'), 'me')).not.toThrow();
    expect(() => checkAssignment(key, item('other'), 'x')).not.toThrow();
  });
});

describe('shared tables', () => {
  it('gives every error code an HTTP status decision', () => {
    expect(Object.keys(HTTP_STATUS).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect([httpStatusFor('UNAUTHENTICATED'), httpStatusFor('FORBIDDEN'), httpStatusFor('RATE_LIMITED'), httpStatusFor('NOT_FOUND'), httpStatusFor('nope')]).toEqual([401, 403, 429, 400, 400]);
  });
  it('writes the agent directory DDL qualified by the migration schema', () => {
    const [table, index] = directoryTableSql('t1_tickets');
    expect(table).toContain('create table "t1_tickets"."agent"');
    expect(index).toBe('create index "agent_tenant_role_idx" on "t1_tickets"."agent" ("tenant_id", "role")');
  });
});
