import {
  GraphQLError,
  Kind,
  getNamedType,
  isCompositeType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

/** The operation limits (docs/api.md). Everything is counted as executed: a fragment counts where it is spread. */
export interface OperationLimits {
  /** Nesting of fields; a root field is depth 1. */
  maxDepth: number;
  /** Aliased fields. */
  maxAliases: number;
  /** Field selections at the root of the operation. */
  maxRootFields: number;
  /** Directive uses, on the operation and inside it. */
  maxDirectives: number;
  /** Lexical tokens of the document; enforced by the parser (`parseOptions.maxTokens`), not by these rules. */
  maxTokens: number;
  /** Estimated cost (see `estimate` below). */
  maxCost: number;
  /** Items assumed for a list field with no `first`/`last`. */
  defaultListSize: number;
}

/**
 * What a variable `first`/`last` counts as, whatever its default: the largest page the API
 * serves. The estimate must hold for any variables, because validation (and this rule) runs
 * once per document, not per request.
 */
export const LARGEST_PAGE = 100;

/**
 * Introspection (`__schema`, `__type`) is neither nested nor costed like data: its lists are
 * the schema's, the gateway answers it without calling a subgraph, and an IDE's
 * introspection query is 12 fields deep through `ofType`. What bounds it is graphql's own
 * MaxIntrospectionDepthRule (in `specifiedRules`): at most three introspection lists nested
 * on one path, so `fields { type { fields { type { fields … } } } }` is refused. An
 * introspection root field still counts as a root field, and aliases and directives inside it
 * still count.
 */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);
const SLICE_ARGS = ['first', 'last'];

export type LimitName = 'depth' | 'aliases' | 'rootFields' | 'directives' | 'cost';

/** What an operation measures; the numbers the limits compare. */
export interface OperationMeasure {
  depth: number;
  aliases: number;
  rootFields: number;
  directives: number;
  cost: number;
}

interface Totals {
  depth: number;
  aliases: number;
  directives: number;
  cost: number;
}

const ZERO: Totals = { depth: 0, aliases: 0, directives: 0, cost: 0 };

/**
 * Measures one operation of a document against a schema, expanding fragments where they are
 * spread. Fragment results are memoised, so a document that spreads fragments into each other
 * costs linear time to measure however large its expansion is; cyclic spreads (refused by
 * graphql's own NoFragmentCycles rule) count as empty.
 *
 * Cost: every field counts 1. A field with `first`/`last` multiplies what it selects by that
 * number (a variable counts as LARGEST_PAGE); a field that takes them but got neither
 * multiplies by the argument's declared default (`first: Int = 20`), else by
 * `defaultListSize`, as does a list field outside such a field; lists directly inside a
 * sliced field (a connection's `nodes`/`edges`) are already counted by it. Lists of scalars
 * and enums cost 1.
 */
export function measureOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, defaultListSize: number): OperationMeasure {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, Totals>();
  const visiting = new Set<string>();

  function selectionSet(set: SelectionSetNode, parent: GraphQLNamedType | undefined, sliced: boolean, introspection: boolean): Totals {
    let depth = 0;
    let aliases = 0;
    let directives = 0;
    let cost = 0;
    for (const s of set.selections) {
      directives += s.directives?.length ?? 0;
      let t: Totals;
      if (s.kind === Kind.FIELD) {
        t = field(s, parent, sliced, introspection);
        if (s.alias) aliases += 1;
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const type = s.typeCondition ? schema.getType(s.typeCondition.name.value) : parent;
        t = selectionSet(s.selectionSet, type ?? undefined, sliced, introspection);
      } else {
        t = spread(s.name.value, sliced, introspection);
      }
      depth = Math.max(depth, t.depth);
      aliases += t.aliases;
      directives += t.directives;
      cost += t.cost;
    }
    return { depth, aliases, directives, cost };
  }

  function spread(name: string, sliced: boolean, introspection: boolean): Totals {
    const key = `${name}|${sliced}|${introspection}`;
    const known = memo.get(key);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || visiting.has(name)) return ZERO;
    visiting.add(name);
    const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
    const inner = selectionSet(fragment.selectionSet, type, sliced, introspection);
    visiting.delete(name);
    const t = { ...inner, directives: inner.directives + (fragment.directives?.length ?? 0) };
    memo.set(key, t);
    return t;
  }

  function field(node: FieldNode, parent: GraphQLNamedType | undefined, sliced: boolean, introspection: boolean): Totals {
    const name = node.name.value;
    const def = fieldDef(parent, name);
    const type = def?.type;
    if (!node.selectionSet) {
      return { depth: introspection ? 0 : 1, aliases: 0, directives: 0, cost: introspection ? 0 : 1 };
    }
    if (introspection || INTROSPECTION_ROOTS.has(name)) {
      // Inside introspection only aliases and directives count (see INTROSPECTION_ROOTS).
      const inner = selectionSet(node.selectionSet, type ? getNamedType(type) : undefined, false, true);
      return { ...inner, depth: introspection ? 0 : 1, cost: 0 };
    }
    const slice = sliceSize(node, def);
    const list = type !== undefined && isList(type) && !isLeafType(getNamedType(type));
    const factor = slice ?? (list && !sliced ? defaultListSize : 1);
    const inner = selectionSet(node.selectionSet, type ? getNamedType(type) : undefined, slice !== undefined, false);
    return {
      depth: 1 + inner.depth,
      aliases: inner.aliases,
      directives: inner.directives,
      cost: 1 + factor * inner.cost,
    };
  }

  /** `first`/`last` as given; the default list size when the field takes them but got neither; else undefined. */
  function sliceSize(node: FieldNode, def: GraphQLField<unknown, unknown> | undefined): number | undefined {
    let size: number | undefined;
    for (const arg of node.arguments ?? []) {
      if (!SLICE_ARGS.includes(arg.name.value)) continue;
      const n = intValue(arg.value);
      size = Math.max(size ?? 0, n);
    }
    if (size !== undefined) return size;
    const sliceArgs = def?.args.filter((a) => SLICE_ARGS.includes(a.name)) ?? [];
    if (!sliceArgs.length) return undefined;
    // A page size the schema declares as the argument's default is what the server returns
    // when none is sent (e.g. `comments(first: Int = 20)`); otherwise the default page.
    const declared = sliceArgs.map((a) => a.defaultValue).filter((v): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0);
    return declared.length ? Math.max(...declared) : defaultListSize;
  }

  function intValue(value: ValueNode): number {
    if (value.kind === Kind.INT) return Math.max(0, Number.parseInt(value.value, 10));
    if (value.kind === Kind.NULL) return defaultListSize;
    return LARGEST_PAGE; // a variable (or anything validation will refuse anyway)
  }

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const totals = selectionSet(operation.selectionSet, rootType, false, false);
  return {
    ...totals,
    directives: totals.directives + (operation.directives?.length ?? 0) + (operation.variableDefinitions ?? []).reduce((n, v) => n + (v.directives?.length ?? 0), 0),
    rootFields: countRootFields(operation.selectionSet, fragments, new Set()),
  };
}

function countRootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, visiting: Set<string>): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n += 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countRootFields(s.selectionSet, fragments, visiting);
    else {
      const f = fragments.get(s.name.value);
      if (!f || visiting.has(f.name.value)) continue;
      visiting.add(f.name.value);
      n += countRootFields(f.selectionSet, fragments, visiting);
      visiting.delete(f.name.value);
    }
  }
  return n;
}

function fieldDef(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!parent || !isCompositeType(parent)) return undefined;
  if (isObjectType(parent) || isInterfaceType(parent)) return parent.getFields()[name];
  return undefined; // a union selects only __typename directly
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

/** The limits in the order they are reported, with their measure and human name. */
const CHECKS: { limit: LimitName; max: (l: OperationLimits) => number; actual: (m: OperationMeasure) => number; what: string }[] = [
  { limit: 'depth', max: (l) => l.maxDepth, actual: (m) => m.depth, what: 'is nested {actual} fields deep; the limit is {max}' },
  { limit: 'aliases', max: (l) => l.maxAliases, actual: (m) => m.aliases, what: 'uses {actual} aliases; the limit is {max}' },
  { limit: 'rootFields', max: (l) => l.maxRootFields, actual: (m) => m.rootFields, what: 'selects {actual} root fields; the limit is {max}' },
  { limit: 'directives', max: (l) => l.maxDirectives, actual: (m) => m.directives, what: 'uses {actual} directives; the limit is {max}' },
  { limit: 'cost', max: (l) => l.maxCost, actual: (m) => m.cost, what: 'has an estimated cost of {actual}; the limit is {max}' },
];

/**
 * The operation limits as one validation rule. Its errors carry
 * `extensions: { code: 'OPERATION_TOO_COMPLEX', limit, max, actual }` (and `cost` for the
 * cost limit); Apollo wraps validation errors as GRAPHQL_VALIDATION_FAILED, and the gateway's
 * formatError restores our code from the original error (see `restoreEdgeCode`).
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context) => ({
    Document: {
      leave(document) {
        const schema = context.getSchema();
        for (const op of document.definitions) {
          if (op.kind !== Kind.OPERATION_DEFINITION) continue;
          const measure = measureOperation(schema, document, op, limits.defaultListSize);
          for (const check of CHECKS) {
            const max = check.max(limits);
            const actual = check.actual(measure);
            if (actual <= max) continue;
            const name = op.name ? `Operation ${op.name.value}` : 'The operation';
            context.reportError(tooComplex(`${name} ${check.what.replace('{actual}', String(actual)).replace('{max}', String(max))}.`, check.limit, max, actual, op));
          }
        }
      },
    },
  });
}

function tooComplex(message: string, limit: LimitName, max: number, actual: number, node: ASTNode): GraphQLError {
  return new GraphQLError(message, {
    nodes: [node],
    extensions: { code: 'OPERATION_TOO_COMPLEX', limit, max, actual, ...(limit === 'cost' ? { cost: actual } : {}) },
  });
}
