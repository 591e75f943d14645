import type { QueryPlan } from '@apollo/query-planner';
import type { Identity } from '@switchboard/kit';
import { GraphQLError, Kind, getNamedType, isLeafType, parse, valueFromASTUntyped, type DocumentNode, type FieldDefinitionNode } from 'graphql';
import type { Executor, OperationContext } from './executor';

/** The composed directive a subgraph puts on a Subscription field with arguments (kit: LIVE_ACCESS_SDL). */
export const LIVE_ACCESS_DIRECTIVE = 'liveAccess';

/** How a Subscription field with arguments is checked: the owning subgraph's Query field the caller must be able to read. */
export interface AccessRule {
  /** The Query field, e.g. `conversation`. */
  query: string;
  /** The Subscription field's argument passed to it, e.g. `conversationId`. */
  argument: string;
  /** The Query field's argument that receives it (default `id`). */
  queryArgument: string;
}

/**
 * Every `@liveAccess(query:, argument:, queryArgument:)` on the supergraph's Subscription
 * fields, by field name: the rules the owning subgraphs declared in their SDL.
 */
export function liveAccessRules(supergraphSdl: string | DocumentNode): Map<string, AccessRule> {
  const rules = new Map<string, AccessRule>();
  for (const field of subscriptionFields(supergraphSdl)) {
    const rule = ruleOf(field);
    if (rule) rules.set(field.name.value, rule);
  }
  return rules;
}

/** The field definitions of the supergraph's Subscription type (whatever the schema names it), extensions included. */
export function subscriptionFields(supergraphSdl: string | DocumentNode): FieldDefinitionNode[] {
  const document = typeof supergraphSdl === 'string' ? parse(supergraphSdl) : supergraphSdl;
  let subscriptionType = 'Subscription';
  for (const d of document.definitions) {
    if (d.kind !== Kind.SCHEMA_DEFINITION && d.kind !== Kind.SCHEMA_EXTENSION) continue;
    const op = d.operationTypes?.find((o) => o.operation === 'subscription');
    if (op) subscriptionType = op.type.name.value;
  }
  return document.definitions.flatMap((d) =>
    (d.kind === Kind.OBJECT_TYPE_DEFINITION || d.kind === Kind.OBJECT_TYPE_EXTENSION) && d.name.value === subscriptionType ? [...(d.fields ?? [])] : [],
  );
}

function ruleOf(field: FieldDefinitionNode): AccessRule | undefined {
  const directive = field.directives?.find((d) => d.name.value === LIVE_ACCESS_DIRECTIVE);
  if (!directive) return undefined;
  const args = Object.fromEntries((directive.arguments ?? []).map((a) => [a.name.value, valueFromASTUntyped(a.value)]));
  const { query, argument, queryArgument = 'id' } = args as Record<string, unknown>;
  if (typeof query !== 'string' || typeof argument !== 'string' || typeof queryArgument !== 'string') {
    throw new Error(`@${LIVE_ACCESS_DIRECTIVE} on Subscription.${field.name.value}: query and argument must be strings`);
  }
  return { query, argument, queryArgument };
}

interface AccessPlan {
  source: string;
  plan: QueryPlan;
  operationContext: OperationContext;
  rule: AccessRule;
}

const codeError = (message: string, code: string) => new GraphQLError(message, { extensions: { code } });

/**
 * The access check of a subscription with arguments: the owning subgraph's Query field, asked
 * through a normal query with the subscriber's identity. Every rule is checked against the API
 * schema and planned once at start: a rule naming a missing Query field or argument stops the
 * gateway from starting.
 */
export class AccessChecks {
  private readonly plans = new Map<string, AccessPlan>();

  constructor(
    private readonly executor: Executor,
    rules: Map<string, AccessRule>,
  ) {
    const schema = executor.apiSchema;
    const subscriptionFields = schema.getSubscriptionType()?.getFields() ?? {};
    const problems: string[] = [];
    for (const [fieldName, rule] of rules) {
      const field = subscriptionFields[fieldName];
      const queryField = schema.getQueryType()?.getFields()[rule.query];
      const queryArg = queryField?.args.find((a) => a.name === rule.queryArgument);
      if (!field) problems.push(`Subscription.${fieldName} is not in the API schema`);
      else if (!field.args.some((a) => a.name === rule.argument)) problems.push(`Subscription.${fieldName} has no argument ${rule.argument}`);
      if (!queryField || !queryArg) problems.push(`Subscription.${fieldName}: no Query.${rule.query}(${rule.queryArgument})`);
      if (problems.length || !queryField || !queryArg) continue;
      const selection = isLeafType(getNamedType(queryField.type)) ? '' : ' { __typename }';
      const source = `query SubscriptionAccess($value: ${queryArg.type.toString()}) { ${rule.query}(${rule.queryArgument}: $value)${selection} }`;
      this.plans.set(fieldName, { source, rule, ...executor.plan(parse(source), 'SubscriptionAccess') });
    }
    if (problems.length) throw new Error(`@${LIVE_ACCESS_DIRECTIVE} rules in the supergraph do not hold:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }

  has(fieldName: string): boolean {
    return this.plans.has(fieldName);
  }

  /** Undefined when the caller may subscribe; else the errors to answer with (NOT_FOUND for another tenant's id). */
  async check(fieldName: string, args: Record<string, unknown>, identity: Identity): Promise<readonly GraphQLError[] | undefined> {
    const entry = this.plans.get(fieldName);
    if (!entry) return [codeError(`Subscription ${fieldName} takes arguments but its subgraph declares no @${LIVE_ACCESS_DIRECTIVE} rule`, 'FORBIDDEN')];
    const variables = { value: args[entry.rule.argument] };
    const result = await this.executor.run(entry.plan, entry.operationContext, { source: entry.source, variables, operationName: 'SubscriptionAccess' }, this.executor.contextFor(identity));
    if (result.errors?.length) return result.errors;
    if ((result.data as Record<string, unknown> | undefined)?.[entry.rule.query] == null) {
      return [codeError(`${entry.rule.argument} ${String(variables.value)} not found`, 'NOT_FOUND')];
    }
    return undefined;
  }
}
