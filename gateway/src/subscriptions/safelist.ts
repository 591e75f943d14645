import type { Identity } from '@switchboard/kit';
import type { SubscribePayload } from 'graphql-ws';
import { createHash } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { codeError } from './prepare';

/** The persisted-operation manifest, as much of it as the socket needs (edge/persisted.ts's Safelist). */
export interface OperationSafelist {
  get(id: string | undefined): { id: string; body: string } | undefined;
}

/**
 * The document a `subscribe` message runs, held to the safelist as over HTTP
 * (edge/persisted.ts): a manifest id in `extensions.persistedQuery.sha256Hash` or in
 * `documentId` (`sha256:<hex>` or `<hex>`) runs the manifest's body. A PARTNER key runs
 * manifest operations only: no id → PERSISTED_QUERY_ID_REQUIRED, an id not in the manifest →
 * PERSISTED_QUERY_NOT_IN_LIST, whatever `query` says. Others may send any document; a
 * `documentId` must be in the manifest for them too. No automatic persisted queries here.
 */
export function documentFor(payload: SubscribePayload & { documentId?: unknown }, identity: Identity, safelist: OperationSafelist | undefined): string | readonly GraphQLError[] {
  const byDocumentId = typeof payload.documentId === 'string' ? payload.documentId.replace(/^sha256:/, '') : undefined;
  const pq = payload.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined;
  const hash = byDocumentId ?? (typeof pq?.sha256Hash === 'string' ? pq.sha256Hash : undefined);
  const hit = safelist?.get(hash);
  const partner = identity.kind === 'apiKey' && identity.apiKeyKind === 'PARTNER';
  const query = typeof payload.query === 'string' && payload.query.trim() ? payload.query : undefined;
  if (partner && hash === undefined) {
    return [codeError('Partner keys run persisted operations only: send the manifest id in extensions.persistedQuery.sha256Hash', 'PERSISTED_QUERY_ID_REQUIRED')];
  }
  if ((partner || byDocumentId !== undefined || (hash !== undefined && query === undefined)) && !hit) {
    return [codeError('No operation with this id in the persisted-operation manifest', 'PERSISTED_QUERY_NOT_IN_LIST')];
  }
  if (hit) {
    if (query !== undefined && createHash('sha256').update(query).digest('hex') !== hit.id) return [codeError('provided sha does not match query', 'BAD_REQUEST')];
    return hit.body;
  }
  return payload.query;
}
