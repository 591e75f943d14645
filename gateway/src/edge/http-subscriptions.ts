import type { ApolloServerPlugin } from '@apollo/server';
import { AppError, refuseRequest } from '@switchboard/kit';

/**
 * A `subscription` operation sent over HTTP is the client's mistake: 400 BAD_REQUEST saying
 * where subscriptions are served. Left alone, @apollo/gateway's executor throws "Execution of
 * subscriptions not supported by gateway", which Apollo Server answers with 500.
 */
export function subscriptionsOverWebSocketOnly(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation }) {
          if (operation?.operation !== 'subscription') return;
          throw refuseRequest(new AppError('BAD_REQUEST', 'Subscriptions are served over WebSocket (graphql-ws, protocol graphql-transport-ws) on this same URL, not over HTTP.'));
        },
      };
    },
  };
}
