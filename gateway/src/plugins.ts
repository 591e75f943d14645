import type { ApolloServerPlugin } from '@apollo/server';
import { UnauthenticatedError } from '@switchboard/kit';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { GatewayContext } from './context';

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
            const error = new UnauthenticatedError('Sign in (Authorization: Bearer <token>) or send an API key (x-api-key)');
            error.extensions.http = { status: 401 };
            throw error;
          }
        },
      };
    },
  };
}

function onlyFields(operation: OperationDefinitionNode, allowed: Set<string>): boolean {
  return operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && allowed.has(s.name.value));
}
