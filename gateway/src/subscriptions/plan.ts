import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { FetchNode, PlanNode, QueryPlan } from '@apollo/query-planner';
import {
  Kind,
  parse,
  print,
  visit,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';

/**
 * A subscription operation planned once: the primary fetch (to the subgraph that owns the
 * field) rewritten into an `_entities` query answered from an event's representation, and
 * the rest of the plan (the other subgraphs' fields) run after it.
 */
export interface LivePlan {
  /** The plan run per event: `Sequence [primary, rest]`. */
  plan: QueryPlan;
  /** The subgraph that owns the subscription field. */
  serviceName: string;
  /** The primary fetch's operation text, as the executor sends it. */
  primaryOperation: string;
  /** `query($representations: [_Any!]!, …) { _entities(…) { ... on T { <primary selection> } } }` */
  entitiesQuery: string;
  /** Variables of the primary the rewritten query still uses. */
  entitiesVariables: string[];
  /** Response key of the root field in the primary's answer (alias or name). */
  responseKey: string;
}

/** Builds the per-event plan from the planner's `Subscription` node. */
export function livePlan(plan: QueryPlan, entityType: string): LivePlan {
  const node = plan.node;
  if (node?.kind !== 'Subscription') throw new Error('not a subscription plan');
  const primary = node.primary;
  const nodes: PlanNode[] = [primary];
  if (node.rest) nodes.push(node.rest);
  const { query, variables, responseKey } = rewritePrimary(primary, entityType);
  return {
    plan: { kind: 'QueryPlan', node: { kind: 'Sequence', nodes } },
    serviceName: primary.serviceName,
    primaryOperation: primary.operation,
    entitiesQuery: query,
    entitiesVariables: variables,
    responseKey,
  };
}

/**
 * `subscription($c: ID!) { messageAdded(conversationId: $c) { text author { __typename id } } }`
 * → `query($representations: [_Any!]!) { _entities(representations: $representations) { ... on Message { text author { __typename id } } } }`,
 * keeping the variable definitions and fragments its selection still uses.
 */
export function rewritePrimary(primary: FetchNode, entityType: string): { query: string; variables: string[]; responseKey: string } {
  const document = primary.operationDocumentNode ?? parse(primary.operation);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error('primary fetch without an operation');
  const fields = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
  if (fields.length !== 1) throw new Error('a subscription selects exactly one root field');
  const root = fields[0]!;
  const selectionSet: SelectionSetNode = root.selectionSet ?? { kind: Kind.SELECTION_SET, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } }] };

  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  const usedFragments = new Set<string>();
  const usedVariables = new Set<string>();
  const collect = (node: SelectionSetNode | FragmentDefinitionNode) =>
    visit(node, {
      Variable: (v) => void usedVariables.add(v.name.value),
      FragmentSpread: (s) => {
        const name = s.name.value;
        if (usedFragments.has(name)) return;
        usedFragments.add(name);
        const fragment = fragments.get(name);
        if (fragment) collect(fragment);
      },
    });
  collect(selectionSet);

  const variableDefinitions: VariableDefinitionNode[] = [
    {
      kind: Kind.VARIABLE_DEFINITION,
      variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'representations' } },
      type: {
        kind: Kind.NON_NULL_TYPE,
        type: { kind: Kind.LIST_TYPE, type: { kind: Kind.NON_NULL_TYPE, type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: '_Any' } } } },
      },
    },
    ...(operation.variableDefinitions ?? []).filter((d) => usedVariables.has(d.variable.name.value)),
  ];
  const query: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        kind: Kind.OPERATION_DEFINITION,
        operation: 'query' as OperationDefinitionNode['operation'],
        name: { kind: Kind.NAME, value: 'LiveEntity' },
        variableDefinitions,
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              name: { kind: Kind.NAME, value: '_entities' },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: 'representations' },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: 'representations' } },
                },
              ],
              selectionSet: {
                kind: Kind.SELECTION_SET,
                selections: [{ kind: Kind.INLINE_FRAGMENT, typeCondition: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: entityType } }, selectionSet }],
              },
            },
          ],
        },
      },
      ...[...usedFragments].map((name) => fragments.get(name)!).filter(Boolean),
    ],
  };
  return { query: print(query), variables: [...usedVariables], responseKey: root.alias?.value ?? root.name.value };
}

/** What a live execution carries in the executor's context, besides the normal gateway context. */
export interface LiveContext {
  live?: { representation: Record<string, unknown>; plan: LivePlan };
}

/**
 * The owning subgraph's data source for a live execution: the primary fetch is answered by
 * the rewritten `_entities` query with the event's representation (sent with the
 * subscriber's signed identity, like any fetch); anything else goes to the subgraph as is.
 */
export class PrimaryDataSource<TContext extends LiveContext & Record<string, any>> implements GraphQLDataSource<TContext> {
  constructor(private readonly inner: GraphQLDataSource<TContext>) {}

  async process(options: GraphQLDataSourceProcessOptions<TContext>): Promise<GatewayGraphQLResponse> {
    const live = options.context?.live;
    const plan = live?.plan;
    if (!live || !plan || options.request.query !== plan.primaryOperation) return this.inner.process(options);
    const given = options.request.variables ?? {};
    const variables: Record<string, unknown> = { representations: [live.representation] };
    for (const name of plan.entitiesVariables) if (name in given) variables[name] = given[name];
    const response = await this.inner.process({
      ...options,
      request: { ...options.request, query: plan.entitiesQuery, operationName: 'LiveEntity', variables },
      document: undefined,
    } as GraphQLDataSourceProcessOptions<TContext>);
    const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    return {
      ...response,
      data: response.data === undefined ? undefined : { [plan.responseKey]: Array.isArray(entities) ? (entities[0] ?? null) : null },
      // Errors of the entity fetch point into `_entities`: re-root them at the field.
      errors: response.errors?.map((e) => ({ ...e, path: e.path ? [plan.responseKey, ...e.path.slice(2)] : e.path })) as GatewayGraphQLResponse['errors'],
    };
  }
}
