import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { AppError, UnauthenticatedError, findMalformedText, refuseRequest, type Identity } from '@switchboard/kit';
import { Kind, type DocumentNode, type GraphQLFormattedError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { GatewayContext } from './context';
import { perDocument } from './per-document';

/**
 * An operationName that names no operation in the document (or none with several) is the
 * client's mistake: 400 BAD_REQUEST. Left alone, @apollo/gateway throws it from its executor,
 * which Apollo Server answers with 500.
 */
export function operationMustResolve(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, request }) {
          if (operation) return;
          const message = request.operationName
            ? `Unknown operation named "${request.operationName}".`
            : 'Must provide operation name if query contains multiple operations.';
          throw refuseRequest(new AppError('BAD_REQUEST', message));
        },
      };
    },
  };
}

/**
 * Text must be Unicode: a string (or object key) with an unpaired surrogate in the variables
 * is refused as BAD_USER_INPUT (400) naming where it is. Left alone it reaches PostgreSQL,
 * whose jsonb refuses the `\ud800` escape, as a 500. In the document itself graphql's lexer
 * refuses one already, as a character or an escape (GRAPHQL_PARSE_FAILED; http.test.ts).
 */
export function wellFormedText(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request }) {
          const where = findMalformedText(request.variables ?? {});
          if (where) throw refuseRequest(new AppError('BAD_USER_INPUT', `${where} is not valid text (an unpaired surrogate)`, { field: where }));
        },
      };
    },
  };
}

/** Root fields an anonymous caller may select. */
const ANONYMOUS_FIELDS = new Set(['login', '__typename']);

/** Only `login` accepts anonymous callers; anything else answers UNAUTHENTICATED (401). */
export function anonymousOnlyLogin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation }) {
          if (contextValue.identity.kind !== 'anonymous') return;
          if (!operation || !onlyFields(operation, ANONYMOUS_FIELDS)) {
            throw refuseRequest(new UnauthenticatedError('Sign in (Authorization: Bearer <token>) or send an API key (x-api-key)'));
          }
        },
      };
    },
  };
}

function onlyFields(operation: OperationDefinitionNode, allowed: Set<string>): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && allowed.has(s.name.value));
}

/** Who may introspect the schema: signed-in users and first-party keys; never anonymous callers or partner keys. */
export function mayIntrospect(identity: Identity): boolean {
  return identity.kind === 'user' || (identity.kind === 'apiKey' && identity.apiKeyKind === 'FIRST_PARTY');
}

/**
 * Introspection (`__schema`, `__type`, wherever the operation selects them, fragments
 * included) only for authenticated first-party callers: anonymous callers get 401 (from
 * anonymousOnlyLogin, or here), partner keys 403 FORBIDDEN. Apollo's own `introspection`
 * switch is on, so this is the one rule.
 */
export function firstPartyIntrospection(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, operation, document }) {
          if (!operation || !introspection(operation, document)) return;
          if (mayIntrospect(contextValue.identity)) return;
          if (contextValue.identity.kind === 'anonymous') {
            throw refuseRequest(new UnauthenticatedError('Sign in to introspect the schema'));
          }
          throw refuseRequest(new AppError('FORBIDDEN', 'Introspection is for signed-in users and first-party API keys'));
        },
      };
    },
  };
}

/** Whether an operation selects `__schema` or `__type` anywhere (its document's fragments included). */
const introspection = perDocument((operation: OperationDefinitionNode, document: DocumentNode) => introspects(operation.selectionSet, document, new Set()));

function introspects(set: SelectionSetNode, document: DocumentNode, seen: Set<string>): boolean {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (s.name.value === '__schema' || s.name.value === '__type') return true;
      if (s.selectionSet && introspects(s.selectionSet, document, seen)) return true;
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      if (introspects(s.selectionSet, document, seen)) return true;
    } else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = document.definitions.find((d) => d.kind === Kind.FRAGMENT_DEFINITION && d.name.value === s.name.value);
      if (fragment && fragment.kind === Kind.FRAGMENT_DEFINITION && introspects(fragment.selectionSet, document, seen)) return true;
    }
  }
  return false;
}

/**
 * A subgraph answer @apollo/gateway cannot complete — a null at a non-null position, an enum
 * value or `__typename` the schema does not have — is nulled (up to the nearest nullable
 * field) and reported in `extensions.valueCompletion`, not in `errors`: a client would see a
 * null with no error, and Apollo's raw `INVALID_GRAPHQL` errors would bypass formatError.
 * They are moved to `errors`, formatted like every other error (docs/api.md: an unexpected
 * failure on our side is `INTERNAL_SERVER_ERROR` with `extensions.traceId`, and is logged).
 */
export function valueCompletionAsErrors(formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError): ApolloServerPlugin<GatewayContext> {
  // One listener for every request (it keeps no per-request state): nothing allocated per request.
  const listener: GraphQLRequestListener<GatewayContext> = {
    async willSendResponse({ response }) {
      if (response.body.kind !== 'single') return;
      const result = response.body.singleResult;
      const completion = result.extensions?.valueCompletion;
      if (!Array.isArray(completion) || completion.length === 0) return;
      const { valueCompletion: _moved, ...extensions } = result.extensions!;
      if (Object.keys(extensions).length) result.extensions = extensions;
      else delete result.extensions;
      const formatted = completion.map((error: { toJSON?: () => GraphQLFormattedError; message?: string; path?: readonly (string | number)[] }) =>
        formatError(error.toJSON ? error.toJSON() : { message: String(error.message), ...(error.path ? { path: error.path } : {}) }, error),
      );
      result.errors = [...(result.errors ?? []), ...formatted];
    },
  };
  return { requestDidStart: async () => listener };
}
