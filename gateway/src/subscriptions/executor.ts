import { buildOperationContext, executeQueryPlan, type GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import { newTraceContext, type Identity, type Logger } from '@switchboard/kit';
import type { DocumentNode, GraphQLError, GraphQLSchema } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { GatewayContext } from '../context';
import { PrimaryDataSource, type LiveContext } from './plan';

export type OperationContext = ReturnType<typeof buildOperationContext>;

/**
 * The supergraph as the subscription server sees it: the API schema clients validate
 * against, the query planner, and one data source per subgraph (the gateway's own, wrapped so
 * a live event's primary fetch is answered from the event). Runs a plan with an identity.
 */
export class Executor {
  readonly supergraphSdl: string;
  readonly apiFedSchema: Schema;
  readonly apiSchema: GraphQLSchema;
  private readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly serviceMap: Record<string, GraphQLDataSource<GatewayContext & LiveContext>> = Object.create(null);

  constructor(
    supergraphSdl: string,
    dataSource: (name: string, url: string | undefined) => GraphQLDataSource<GatewayContext>,
    private readonly log: Logger,
  ) {
    this.supergraphSdl = supergraphSdl;
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiFedSchema = supergraph.apiSchema();
    this.apiSchema = this.apiFedSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
    for (const subgraph of supergraph.subgraphs().values()) {
      this.serviceMap[subgraph.name] = new PrimaryDataSource(dataSource(subgraph.name, subgraph.url) as GraphQLDataSource<GatewayContext & LiveContext>);
    }
  }

  plan(document: DocumentNode, operationName: string | undefined): { plan: QueryPlan; operationContext: OperationContext } {
    return {
      plan: this.planner.buildQueryPlan(operationFromDocument(this.apiFedSchema, document, { operationName })),
      operationContext: buildOperationContext({ schema: this.apiSchema, operationDocument: document, operationName }),
    };
  }

  contextFor(identity: Identity, extra: LiveContext = {}): GatewayContext & LiveContext {
    return { identity, trace: newTraceContext(), requestId: randomUUID(), ...extra };
  }

  /**
   * Runs the plan. A subgraph answer @apollo/gateway cannot complete (a null at a non-null
   * position, an enum value the schema lacks) comes back nulled with the reason in
   * `extensions.valueCompletion`, not in `errors`; it is moved to `errors` here, as
   * `valueCompletionAsErrors` does for queries, so the subscriber gets the error (formatted
   * and masked like any other) instead of an event silently dropped or a bare null.
   */
  async run(
    plan: QueryPlan,
    operationContext: OperationContext,
    request: { source: string; variables: Record<string, unknown>; operationName: string | undefined },
    context: GatewayContext & LiveContext,
  ) {
    const requestContext = {
      request: { query: request.source, variables: request.variables, operationName: request.operationName },
      context,
      logger: { debug() {}, info() {}, warn: (m: string) => this.log.warn(m), error: (m: string) => this.log.error(m) },
      metrics: {},
      cache: undefined,
    } as unknown as GatewayGraphQLRequestContext<GatewayContext>;
    const result = await executeQueryPlan(plan, this.serviceMap as never, requestContext, operationContext, this.supergraphSchema, this.apiFedSchema);
    const completion = result.extensions?.valueCompletion;
    if (!Array.isArray(completion) || completion.length === 0) return result;
    const { valueCompletion: _moved, ...extensions } = result.extensions!;
    return { data: result.data, errors: [...(result.errors ?? []), ...(completion as GraphQLError[])], ...(Object.keys(extensions).length ? { extensions } : {}) };
  }
}
