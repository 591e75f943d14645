import { valueFromASTUntyped, type DocumentNode } from 'graphql';
import { subscriptionFields } from './access';

/** The composed directive a subgraph puts on a Subscription field that has a first value (kit: LIVE_INITIAL_SDL). */
export const LIVE_INITIAL_DIRECTIVE = 'liveInitial';

/**
 * Every `@liveInitial(id:)` on the supergraph's Subscription fields, by field name: the id of
 * the representation the gateway resolves, once per new subscriber, for its first value.
 */
export function liveInitialIds(supergraphSdl: string | DocumentNode): Map<string, string> {
  const ids = new Map<string, string>();
  for (const field of subscriptionFields(supergraphSdl)) {
    const directive = field.directives?.find((x) => x.name.value === LIVE_INITIAL_DIRECTIVE);
    if (!directive) continue;
    const id = directive.arguments?.find((a) => a.name.value === 'id');
    const value = id ? valueFromASTUntyped(id.value) : undefined;
    if (typeof value !== 'string') throw new Error(`@${LIVE_INITIAL_DIRECTIVE} on Subscription.${field.name.value}: id must be a string`);
    ids.set(field.name.value, value);
  }
  return ids;
}
