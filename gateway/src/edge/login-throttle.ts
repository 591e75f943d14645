import type { ApolloServerPlugin } from '@apollo/server';
import { AppError, refuseRequest } from '@switchboard/kit';
import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionNode, type ValueNode } from 'graphql';
import { createHash } from 'node:crypto';
import type { GatewayContext } from '../context';
import type { BackoffRule, PenaltyStore } from './penalties';
import type { BucketSpec, RateLimitStore } from './rate-limit';

/**
 * Credential guessing, held at the gateway before the tenants subgraph is asked:
 *  - per account (its email, whatever tenant slug is sent with it): LOGIN_FREE_FAILURES failures cost nothing, then each failure makes
 *    the account wait LOGIN_BACKOFF_BASE_SECONDS · 2^(n − free − 1), at most
 *    LOGIN_BACKOFF_MAX_SECONDS. While it waits, `login` for it answers 429 RATE_LIMITED with
 *    Retry-After and is not counted (so nobody can extend the wait by hammering); a
 *    successful login forgets the failures, and so does LOGIN_FAILURE_RESET_SECONDS without
 *    one. The worst an attacker can do to a real user is hold the account to one try per
 *    LOGIN_BACKOFF_MAX_SECONDS; never lock it for good.
 *  - per IP: every failed login is also charged to the address's `authFailures` bucket
 *    (AUTH_FAILURES_PER_IP_PER_MINUTE, shared with bad tokens and unknown API keys), so one
 *    address cannot spray many accounts.
 *  - one `login` per request (aliases would multiply the guesses).
 *  - a signed-in caller's `login` takes from the per-IP anonymous bucket, like an anonymous one.
 * State lives in the penalty store (Redis, shared by every replica; in-process without it).
 */
export interface LoginThrottleOptions {
  penalties: PenaltyStore;
  rule: BackoffRule;
  rateLimits?: RateLimitStore;
  /** The per-IP bucket a failed authentication takes from. */
  authFailureBucket: (ip: string) => BucketSpec;
  /** The per-IP anonymous bucket (charged for signed-in callers' logins). */
  anonymousBucket: (ip: string) => BucketSpec;
  now: () => number;
  onError: (error: unknown) => void;
  onLimited: (bucket: 'login' | 'authFailures' | 'ip') => void;
}

function rateLimited(message: string, retryAfter: number, bucket: string): AppError {
  const error = new AppError('RATE_LIMITED', message, { retryAfter, bucket });
  // The table's status (429), and the Retry-After header Apollo Server sends with it.
  refuseRequest(error);
  (error.extensions.http as { headers?: Map<string, string> }).headers = new Map([['retry-after', String(retryAfter)]]);
  return error;
}

function valueOf(node: ValueNode | undefined, variables: Record<string, unknown> | undefined): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables?.[node.name.value];
  if (node.kind === Kind.STRING) return node.value;
  return undefined;
}

/**
 * Whose budget a `login` spends: its email, normalised and hashed. Only the email — not the
 * tenant slug — so a guesser cannot get a fresh budget per slug (or by leaving it out, or
 * null); an address with accounts in several tenants shares one budget.
 */
export function accountKey(field: FieldNode, variables: Record<string, unknown> | undefined): string {
  const email = (field.arguments ?? []).find((a) => a.name.value === 'email');
  const value = String(valueOf(email?.value, variables) ?? '').trim().toLowerCase();
  return `login:${createHash('sha256').update(`email=${value}`).digest('hex')}`;
}

/**
 * The `login` fields of a mutation: those selected at the top, and — to refuse them — any
 * reached through an inline fragment or a fragment spread of the root (which would hide
 * them from the one-login rule and the throttle).
 */
function loginFields(operation: OperationDefinitionNode, document: DocumentNode): { direct: FieldNode[]; indirect: number } {
  if (operation.operation !== 'mutation') return { direct: [], indirect: 0 };
  const direct = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === 'login');
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  let indirect = 0;
  const seen = new Set<string>();
  const walk = (selections: readonly SelectionNode[]) => {
    for (const s of selections) {
      if (s.kind === Kind.FIELD) indirect += s.name.value === 'login' ? 1 : 0;
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet.selections);
      else if (!seen.has(s.name.value)) {
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        if (fragment) walk(fragment.selectionSet.selections);
      }
    }
  };
  walk(operation.selectionSet.selections.filter((s) => s.kind !== Kind.FIELD));
  return { direct, indirect };
}

export function loginThrottle(options: LoginThrottleOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      let account: string | undefined;
      let responseKey: string | undefined;
      return {
        async didResolveOperation({ operation, request, contextValue, document }) {
          if (!operation) return;
          const { direct: fields, indirect } = loginFields(operation, document);
          if (indirect > 0) throw refuseRequest(new AppError('BAD_REQUEST', 'Select login directly, not through a fragment'));
          if (!fields.length) return;
          if (fields.length > 1) {
            throw refuseRequest(new AppError('BAD_REQUEST', 'One login per request'));
          }
          const field = fields[0]!;
          account = accountKey(field, request.variables);
          responseKey = field.alias?.value ?? field.name.value;
          const ip = contextValue.ip ?? 'unknown';
          const now = options.now();
          let waits: number[] = [0];
          try {
            waits = await options.penalties.waitMs([account], now);
          } catch (error) {
            options.onError(error); // fail open, like the rate limiter
          }
          if (waits[0]! > 0) {
            options.onLimited('login');
            const retryAfter = Math.max(1, Math.ceil(waits[0]! / 1000));
            throw rateLimited(`Too many failed logins for this account; retry after ${retryAfter} s`, retryAfter, 'login');
          }
          if (options.rateLimits) {
            try {
              const ipFailures = options.authFailureBucket(ip);
              const [state] = options.rateLimits.peek ? await options.rateLimits.peek([ipFailures], now) : [{ allowed: true, retryAfterMs: 0 }];
              if (!state!.allowed) {
                options.onLimited('authFailures');
                const retryAfter = Math.max(1, Math.ceil(state!.retryAfterMs / 1000));
                throw rateLimited(`Too many failed authentications from your address; retry after ${retryAfter} s`, retryAfter, 'authFailures');
              }
              if (contextValue.identity.kind !== 'anonymous') {
                const anonymous = options.anonymousBucket(ip);
                const [charged] = await options.rateLimits.consume([anonymous], now);
                if (!charged!.allowed) {
                  options.onLimited('ip');
                  const retryAfter = Math.max(1, Math.ceil(charged!.retryAfterMs / 1000));
                  throw rateLimited(`Rate limit of logins from your address exceeded (${anonymous.limit} per minute); retry after ${retryAfter} s`, retryAfter, 'ip');
                }
              }
            } catch (error) {
              if (error instanceof AppError) throw error;
              options.onError(error);
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (!account || response.body.kind !== 'single') return;
          const { data, errors } = response.body.singleResult;
          const now = options.now();
          const signedIn = data?.[responseKey!] != null;
          const refused = (errors ?? []).some((e) => e.path?.[0] === responseKey && e.extensions?.code === 'UNAUTHENTICATED');
          try {
            if (signedIn) await options.penalties.clear(account);
            else if (refused) {
              contextValue.loginFailed = true;
              await options.penalties.fail(account, now, options.rule);
              await options.rateLimits?.consume([options.authFailureBucket(contextValue.ip ?? 'unknown')], now);
            }
          } catch (error) {
            options.onError(error);
          }
        },
      };
    },
  };
}
