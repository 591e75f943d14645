import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { parse, type GraphQLSchema } from 'graphql';
import { buildSchema, createResolversMap, type BuildSchemaOptions } from 'type-graphql';

const FEDERATION_LINK = `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag", "@override", "@interfaceObject", "@composeDirective"])`;

/** The spec the `@liveAccess` directive belongs to (its name, once imported, is `@liveAccess`). */
export const LIVE_ACCESS_SPEC = 'https://switchboard.dev/live/v1.0';

/**
 * The composed directive that says how the gateway checks a subscriber's access to a
 * Subscription field's argument: the caller must be able to read it through the owning
 * subgraph's Query field `query`, called with `argument`'s value as its `queryArgument`
 * (default `id`). Another tenant's id answers NOT_FOUND there, so it is refused here. A
 * Subscription field with arguments and no `@liveAccess` is refused by the gateway.
 * A subgraph that declares live fields adds this to its `extraSdl`.
 */
export const LIVE_ACCESS_SDL = `
extend schema @link(url: "${LIVE_ACCESS_SPEC}", import: ["@liveAccess"]) @composeDirective(name: "@liveAccess")

"How the gateway checks a subscriber may read this Subscription field's argument: through Query.<query>(<queryArgument>: <argument>)."
directive @liveAccess(query: String!, argument: String!, queryArgument: String! = "id") on FIELD_DEFINITION
`;

/** The spec the `@liveInitial` directive belongs to. */
export const LIVE_INITIAL_SPEC = 'https://switchboard.dev/live-initial/v1.0';

/**
 * The composed directive that asks the gateway for a first value at once: when a client
 * subscribes to the field, the gateway resolves the field's entity from the representation
 * `{ __typename: <the field's type>, id: <id> }` (through the owning subgraph's `_entities`,
 * like any live event) and pushes it to that subscriber before the events that follow. The
 * owning subgraph answers that id with the current value (e.g. analytics' liveMetrics).
 */
export const LIVE_INITIAL_SDL = `
extend schema @link(url: "${LIVE_INITIAL_SPEC}", import: ["@liveInitial"]) @composeDirective(name: "@liveInitial")

"The gateway pushes a first value when a client subscribes: this field's entity resolved from the representation { __typename, id }."
directive @liveInitial(id: String!) on FIELD_DEFINITION
`;

/** `__resolveReference` per entity type name: `(reference, context, info) => entity`. */
export type ReferenceResolvers = Record<string, { __resolveReference: (ref: any, context: any, info: any) => unknown }>;

export interface SubgraphSchema {
  schema: GraphQLSchema;
  /** The subgraph SDL with federation directives, as `npm run compose` prints it. */
  sdl: string;
}

/**
 * The one way a subgraph schema is made: type-graphql resolvers → SDL printed with its
 * directives (`@key` survives; graphql's printSchema would drop it) → a Federation 2
 * subgraph schema, with the reference resolvers merged in.
 */
export async function buildFederatedSchema(
  options: Omit<BuildSchemaOptions, 'skipCheck'> & {
    references?: ReferenceResolvers;
    /**
     * SDL added as it is: the subscription fields a subgraph declares so they compose and
     * validate, though the gateway serves them from live events and never calls them here.
     */
    extraSdl?: string;
  },
): Promise<SubgraphSchema> {
  const { references = {}, extraSdl, ...typeGraphqlOptions } = options;
  const typeSchema = await buildSchema({ ...typeGraphqlOptions, skipCheck: true });
  const sdl = `${FEDERATION_LINK}\n\n${printSchemaWithDirectives(typeSchema)}${extraSdl ? `\n\n${extraSdl.trim()}\n` : ''}`;
  const resolvers = createResolversMap(typeSchema) as GraphQLResolverMap<unknown>;
  for (const [typeName, ref] of Object.entries(references)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...ref } as never;
  }
  const schema = buildSubgraphSchema({ typeDefs: parse(sdl), resolvers });
  return { schema, sdl };
}
