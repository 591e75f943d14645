import type { QueryPlan } from '@apollo/query-planner';
import {
  GraphQLError,
  Kind,
  getArgumentValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type OperationDefinitionNode,
  type ValidationRule,
} from 'graphql';
import type { Executor, OperationContext } from './executor';
import { livePlan, type LivePlan } from './plan';

/** A planned subscription document (one per distinct text + operation name). */
export interface Prepared {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  operationName?: string;
  operationContext: OperationContext;
  live: LivePlan;
  field: GraphQLField<unknown, unknown>;
  fieldNode: FieldNode;
}

export const codeError = (message: string, code: string, extra: Record<string, unknown> = {}) => new GraphQLError(message, { extensions: { ...extra, code } });

/**
 * Parse → validate (with the gateway's operation limits) → one root subscription field →
 * the query planner's plan turned into a per-event plan. Cached by document text and
 * operation name (bounded), so a thousand subscribers of one document plan it once.
 */
export class Preparer {
  private readonly cache = new Map<string, Prepared>();
  private readonly rules: readonly ValidationRule[];

  constructor(
    private readonly executor: Executor,
    validationRules: readonly ValidationRule[] = [],
    private readonly maxTokens?: number,
    private readonly maxEntries = 1_000,
  ) {
    this.rules = [...specifiedRules, ...validationRules];
  }

  prepare(source: string, operationName: string | undefined): Prepared | readonly GraphQLError[] {
    const cacheKey = JSON.stringify([source, operationName ?? null]);
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const { apiSchema } = this.executor;
    let document: DocumentNode;
    try {
      document = parse(source, this.maxTokens ? { maxTokens: this.maxTokens } : {});
    } catch (error) {
      return [codeError((error as Error).message, 'GRAPHQL_PARSE_FAILED')];
    }
    const errors = validate(apiSchema, document, this.rules);
    if (errors.length) return errors.map((e) => codeError(e.message, (e.extensions?.code as string | undefined) ?? 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, operationName);
    if (!operation) return [codeError('Unable to identify the operation: name it with operationName', 'BAD_REQUEST')];
    if (operation.operation !== 'subscription') {
      return [codeError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', 'BAD_REQUEST')];
    }
    const subscriptionType = apiSchema.getSubscriptionType()!;
    const roots = operation.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value !== '__typename');
    if (roots.length !== 1 || roots.length !== operation.selectionSet.selections.length) {
      return [codeError('A subscription selects exactly one root field, without fragments', 'BAD_REQUEST')];
    }
    const fieldNode = roots[0]!;
    const field = subscriptionType.getFields()[fieldNode.name.value]!;
    const entityType = getNamedType(field.type).name;
    const name = operationName ?? operation.name?.value;
    const { plan, operationContext } = this.executor.plan(document, name);
    const result: Prepared = { document, operation, operationName: name, operationContext, live: livePlan(plan as QueryPlan, entityType), field, fieldNode };
    if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(cacheKey, result);
    return result;
  }

  /** The operation's variables and the root field's arguments, coerced; or BAD_USER_INPUT. */
  coerce(p: Prepared, raw: Record<string, unknown> | null | undefined): { variables: Record<string, unknown>; args: Record<string, unknown> } | readonly GraphQLError[] {
    const coerced = getVariableValues(this.executor.apiSchema, p.operation.variableDefinitions ?? [], raw ?? {});
    if (coerced.errors) return coerced.errors.map((e) => codeError(e.message, 'BAD_USER_INPUT'));
    try {
      return { variables: coerced.coerced, args: getArgumentValues(p.field, p.fieldNode, coerced.coerced) };
    } catch (error) {
      return [codeError((error as Error).message, 'BAD_USER_INPUT')];
    }
  }
}
