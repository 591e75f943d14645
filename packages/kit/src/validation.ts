import { BadInputError } from './errors';

/**
 * The input rules every subgraph shares: ids, text, emails, tags, URLs, MIME types and JSON
 * metadata. Each helper either returns the normalised value or throws BAD_USER_INPUT naming
 * the field, so nothing a client sends reaches SQL (or a document store) in a shape the
 * database would refuse with an internal error. docs/api.md lists the limits.
 *
 * NUL (U+0000) is refused everywhere: PostgreSQL cannot store it in `text` or `jsonb`, and
 * an unchecked NUL used to surface as INTERNAL_SERVER_ERROR.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** type/subtype with optional parameters, RFC 6838 names. */
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[a-z0-9!#$&^_.+-]+=("[^"]*"|[a-z0-9!#$&^_.+-]+))*$/i;

/** The limits themselves, one place (docs/api.md prints them). */
export const INPUT_LIMITS = {
  email: 254,
  name: 200,
  tag: 50,
  tags: 20,
  category: 50,
  url: 2048,
  mimeType: 127,
  fileName: 255,
  metadataBytes: 8192,
  metadataKeys: 50,
  metadataKeyChars: 100,
  metadataDepth: 5,
} as const;

/** IDs are UUIDs; anything else cannot name an object and is answered before it reaches SQL. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/** BAD_USER_INPUT when the id is not a UUID (where a malformed id is the caller's mistake, not NOT_FOUND). */
export function requireUuid(value: string, field: string): string {
  if (!isUuid(value)) throw new BadInputError(field, `${field} is not an id`);
  return value;
}

/** Refuses NUL (PostgreSQL cannot store it). */
export function noNul(value: string, field: string): string {
  if (value.includes('\u0000')) throw new BadInputError(field, `${field} must not contain NUL characters`);
  return value;
}

export interface TextOptions {
  /** An empty (after trimming) value is allowed (default: refused). */
  allowEmpty?: boolean;
  /** Keep surrounding whitespace (default: trimmed). */
  raw?: boolean;
}

/** Trimmed text of 1..max characters (0..max with allowEmpty), without NUL. */
export function text(value: string, field: string, max: number, options: TextOptions = {}): string {
  noNul(value, field);
  const v = options.raw ? value : value.trim();
  if (!v.trim() && !options.allowEmpty) throw new BadInputError(field, `${field} must not be empty`);
  if (v.length > max) throw new BadInputError(field, `${field} must be at most ${max} characters`);
  return v;
}

/** Like `text`, for optional fields: null/undefined and blank give null. */
export function optionalText(value: string | null | undefined, field: string, max: number): string | null {
  if (value === null || value === undefined) return null;
  return text(value, field, max, { allowEmpty: true }) || null;
}

/** A lower-cased email address, at most 254 characters. */
export function email(value: string, field: string): string {
  noNul(value, field);
  const v = value.trim().toLowerCase();
  if (v.length > INPUT_LIMITS.email || !EMAIL.test(v)) throw new BadInputError(field, `${field} is not a valid email address`);
  return v;
}

/** Optional email: null/undefined and blank give null. */
export function optionalEmail(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined || !value.trim()) return null;
  return email(value, field);
}

/** A category (tickets, escalations): lower-cased, 1–50 characters; null/blank gives null. */
export function category(value: string | null | undefined, field = 'category'): string | null {
  if (value === null || value === undefined) return null;
  return text(value, field, INPUT_LIMITS.category, { allowEmpty: true }).toLowerCase() || null;
}

/** Tags (and skills): lower-cased, de-duplicated, each 1–50 characters, at most `maxCount`. */
export function tags(values: readonly string[] | null | undefined, field = 'tags', maxCount: number = INPUT_LIMITS.tags): string[] {
  const out = [...new Set((values ?? []).map((t) => noNul(t, field).trim().toLowerCase()))];
  if (out.length > maxCount) throw new BadInputError(field, `at most ${maxCount} ${field}`);
  if (out.some((t) => !t || t.length > INPUT_LIMITS.tag)) throw new BadInputError(field, `each of ${field} must be 1-${INPUT_LIMITS.tag} characters`);
  return out;
}

/** An absolute http(s) URL of at most 2,048 characters. */
export function httpUrl(value: string, field: string): string {
  const v = text(value, field, INPUT_LIMITS.url);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new BadInputError(field, `${field} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new BadInputError(field, `${field} must be an http(s) URL`);
  return v;
}

/** A MIME type such as `image/png` or `text/plain; charset=utf-8`, at most 127 characters. */
export function mimeType(value: string, field: string): string {
  const v = text(value, field, INPUT_LIMITS.mimeType).toLowerCase();
  if (!MIME.test(v)) throw new BadInputError(field, `${field} is not a MIME type (type/subtype)`);
  return v;
}

/**
 * Free-form JSON metadata: an object of at most 50 keys in all (nested ones included), keys
 * of 1–100 characters, at most 5 levels deep and 8 KB as JSON, with no NUL in any key or
 * string value.
 */
export function metadata(value: unknown, field = 'metadata'): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new BadInputError(field, `${field} must be a JSON object`);
  let keys = 0;
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') {
      noNul(v, field);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (depth > INPUT_LIMITS.metadataDepth) throw new BadInputError(field, `${field} may nest at most ${INPUT_LIMITS.metadataDepth} levels`);
    if (Array.isArray(v)) {
      for (const item of v) walk(item, depth + 1);
      return;
    }
    for (const [k, inner] of Object.entries(v)) {
      keys += 1;
      if (keys > INPUT_LIMITS.metadataKeys) throw new BadInputError(field, `${field} may have at most ${INPUT_LIMITS.metadataKeys} keys`);
      if (k.includes('\u0000')) throw new BadInputError(field, `${field} keys must not contain NUL characters`);
      if (!k || k.length > INPUT_LIMITS.metadataKeyChars) throw new BadInputError(field, `${field} keys must be 1-${INPUT_LIMITS.metadataKeyChars} characters`);
      walk(inner, depth + 1);
    }
  };
  walk(value, 1);
  if (Buffer.byteLength(JSON.stringify(value), 'utf8') > INPUT_LIMITS.metadataBytes) {
    throw new BadInputError(field, `${field} must be at most ${INPUT_LIMITS.metadataBytes} bytes as JSON`);
  }
  return value as Record<string, unknown>;
}

/** A page size argument of a plain list: 1..max, `fallback` when not given. */
export function listSize(value: number | null | undefined, field: string, fallback: number, max: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new BadInputError(field, `${field} must be between 1 and ${max}`);
  return value;
}

/** An unpaired UTF-16 surrogate: not Unicode text (PostgreSQL's jsonb and UTF-8 refuse it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when `value` is well-formed Unicode text (no unpaired surrogate). */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** The path (`input.tags.1`) of the first string or object key in `value` that is not well-formed Unicode, if any. */
export function findMalformedText(value: unknown, path = '', depth = 0): string | undefined {
  if (typeof value === 'string') return isWellFormedText(value) ? undefined : path || '(value)';
  if (!value || typeof value !== 'object' || depth > 64) return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const at = path ? `${path}.${k}` : k;
    if (!Array.isArray(value) && !isWellFormedText(k)) return at;
    const found = findMalformedText(v, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}
