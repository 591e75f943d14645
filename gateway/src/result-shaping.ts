/**
 * @apollo/gateway's result shaping (`computeResponse` in its `resultShaping.js`: the pass
 * that turns the merged subgraph answers into the client's answer — only the fields asked
 * for, under their aliases, `__typename` filled in, leaf values checked, nulls bubbled up
 * to the nearest nullable field) with the same algorithm, compiled once per selection set.
 * The original asks federation-internals, for every field of every object of every
 * answer, for the field's `@skip`/`@include` directives, its response name, its type's
 * kind (through re-exported getters), whether a fragment's condition applies
 * (`schema.type` + `isSubtype`) and whether a leaf is valid (`isValidLeafValue`); for 50
 * tickets that was the largest single part of a list request's cost in the executor
 * (docs/architecture.md, "Performance"). Here those answers are taken once per selection
 * and kept in a WeakMap on the selection set, so the walk over an answer does only what
 * depends on the answer. The output — data, errors (messages and paths) and key order —
 * is the original's: `result-shaping.test.ts` runs both over generated answers, valid and
 * invalid, on the real supergraph.
 *
 * The selections are only compiled once if the Operation they belong to lasts: the second
 * half of this file has `executeQueryPlan` reuse the Operation of a document it has seen.
 *
 * Installed by `installResultShaping()` in place of the two modules' exports, which their
 * callers read at each call; @apollo/gateway is pinned (2.14.4), and installing throws at
 * start-up if either export is not where this expects.
 */
import { ERRORS, isSubtype, Variable, type CompositeType, type Directive, type NamedType, type Operation, type Schema, type SelectionSet, type Type } from '@apollo/federation-internals';

type Value = unknown;
type Output = Record<string, unknown>;
interface Parameters {
  schema: Schema;
  variables: Record<string, unknown>;
  errors: Error[];
  introspectionHandling: (selection: unknown) => unknown;
}
export interface ComputeResponseArgs {
  operation: Operation;
  variables?: Record<string, unknown>;
  input: Output | null | undefined;
  introspectionHandling: (selection: unknown) => unknown;
}
type ComputeResponse = (args: ComputeResponseArgs) => { data: Output | null | undefined; errors: Error[] };

const OK = 0;
const NULL_BUBBLE_UP = 1;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const own = Object.prototype.hasOwnProperty;
/** federation-internals' `graphQLBuiltInTypes`: any other scalar is custom, and every value of one is valid. */
const BUILT_IN_SCALARS = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);

/** A field's output type, unwrapped once: what `updateOutputValue` asks of it at each level. */
type TypeNode =
  | { kind: 'nonNull'; type: Type; of: TypeNode }
  | { kind: 'list'; type: Type; of: TypeNode }
  | { kind: 'composite'; type: Type }
  | { kind: 'leaf'; type: Type; valid: (value: unknown) => boolean };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDirective = Directive<any>;
interface Condition {
  skip?: AnyDirective;
  include?: AnyDirective;
}
interface CompiledField {
  field: true;
  condition: Condition | undefined;
  responseName: string;
  introspection: boolean;
  typename: boolean;
  type: TypeNode;
  /** The federation selection (handed to the introspection handler). */
  selection: unknown;
  /** The field's own selections, compiled; undefined for a leaf. */
  children: Compiled[] | undefined;
}
interface CompiledFragment {
  field: false;
  condition: Condition | undefined;
  typeCondition: CompositeType | undefined;
  children: Compiled[];
  /** Whether the condition applies, by the answer's __typename (or, without one, the parent type's name). */
  applies: Map<string, boolean>;
}
type Compiled = CompiledField | CompiledFragment;

const compiledSets = new WeakMap<SelectionSet, Compiled[]>();
const typeNodes = new WeakMap<Type, TypeNode>();
const typesByName = new WeakMap<Schema, Map<string, NamedType | undefined>>();
const defaulted = new WeakMap<Operation, Record<string, unknown>>();

function typeNamed(schema: Schema, name: string): NamedType | undefined {
  let names = typesByName.get(schema);
  if (!names) typesByName.set(schema, (names = new Map()));
  if (names.has(name)) return names.get(name);
  const type = schema.type(name);
  names.set(name, type);
  return type;
}

/** `isValidLeafValue(schema, value, type)`, decided once per type. */
function leafCheck(schema: Schema, type: Type): (value: unknown) => boolean {
  const named = type as NamedType;
  if (named.kind === 'ScalarType' && !BUILT_IN_SCALARS.has(named.name)) return () => true;
  const number = named === schema.intType() || named === schema.idType() ? (v: number) => INTEGER.test(String(v)) : () => named === schema.floatType();
  const string =
    named.kind === 'EnumType'
      ? (v: string) => named.value(v) !== undefined
      : () => named !== schema.booleanType() && named !== schema.intType() && named !== schema.floatType();
  const boolean = named === schema.booleanType();
  return (value) => {
    if (typeof value === 'boolean') return boolean;
    if (typeof value === 'number' && isFinite(value)) return number(value);
    if (typeof value === 'string') return string(value);
    return false;
  };
}

function typeNode(schema: Schema, type: Type): TypeNode {
  let node = typeNodes.get(type);
  if (node) return node;
  switch (type.kind) {
    case 'NonNullType':
      node = { kind: 'nonNull', type, of: typeNode(schema, type.ofType) };
      break;
    case 'ListType':
      node = { kind: 'list', type, of: typeNode(schema, type.ofType) };
      break;
    case 'ObjectType':
    case 'InterfaceType':
    case 'UnionType':
      node = { kind: 'composite', type };
      break;
    default:
      node = { kind: 'leaf', type, valid: leafCheck(schema, type) };
  }
  typeNodes.set(type, node);
  return node;
}

function conditionOf(schema: Schema, element: { appliedDirectivesOf(d: unknown): AnyDirective[] }): Condition | undefined {
  const skip = element.appliedDirectivesOf(schema.skipDirective())[0];
  const include = element.appliedDirectivesOf(schema.includeDirective())[0];
  return skip || include ? { skip, include } : undefined;
}

function compile(schema: Schema, selectionSet: SelectionSet): Compiled[] {
  let compiled = compiledSets.get(selectionSet);
  if (compiled) return compiled;
  compiled = selectionSet.selections().map((selection): Compiled => {
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      return {
        field: true,
        condition: conditionOf(schema, field),
        responseName: field.responseName(),
        introspection: field.definition.isSchemaIntrospectionField(),
        typename: field.name === '__typename',
        type: typeNode(schema, field.definition.type!),
        selection,
        children: selection.selectionSet && compile(schema, selection.selectionSet),
      };
    }
    return {
      field: false,
      condition: conditionOf(schema, selection.element),
      typeCondition: selection.element.typeCondition,
      children: compile(schema, selection.selectionSet),
      applies: new Map(),
    };
  });
  compiledSets.set(selectionSet, compiled);
  return compiled;
}

function ifValue(directive: AnyDirective, variables: Record<string, unknown>): boolean {
  const ifArg = (directive.arguments() as { if: unknown }).if;
  if (ifArg instanceof Variable) {
    const value = variables[ifArg.name];
    if (value === undefined || typeof value !== 'boolean') throw new Error(`Unexpected value ${value} for variable ${ifArg} of ${directive}`);
    return value;
  }
  return ifArg as boolean;
}

const skipped = (condition: Condition | undefined, variables: Record<string, unknown>) =>
  condition !== undefined && ((condition.skip && ifValue(condition.skip, variables)) || (condition.include && !ifValue(condition.include, variables)));

function applies(parameters: Parameters, fragment: CompiledFragment, typename: string | undefined, parentType: CompositeType): boolean {
  if (!fragment.typeCondition) return true;
  const key = typename ? typename : `\u0000${parentType.name}`;
  let result = fragment.applies.get(key);
  if (result === undefined) {
    if (typename) {
      const type = typeNamed(parameters.schema, typename);
      result = !!type && isSubtype(fragment.typeCondition, type);
    } else result = isSubtype(fragment.typeCondition, parentType);
    fragment.applies.set(key, result);
  }
  return result;
}

function applySelectionSet(input: Output, selections: Compiled[], output: Output, parameters: Parameters, path: (string | number)[], parentType: CompositeType): number {
  for (const selection of selections) {
    if (skipped(selection.condition, parameters.variables)) continue;
    if (selection.field) {
      const responseName = selection.responseName;
      const outputValue = output[responseName];
      if (selection.introspection) {
        if (outputValue === undefined) output[responseName] = parameters.introspectionHandling(selection.selection);
        continue;
      }
      let inputValue = own.call(input, responseName) ? (input[responseName] ?? null) : null;
      if (selection.typename) {
        if (outputValue === undefined) {
          if (inputValue === null && responseName !== '__typename') inputValue = input.__typename ?? null;
          const type = inputValue !== null && typeof inputValue === 'string' ? (typeNamed(parameters.schema, inputValue) ?? parentType) : parentType;
          if (type.kind !== 'ObjectType') return NULL_BUBBLE_UP;
          output[responseName] = type.name;
        }
        continue;
      }
      path.push(responseName);
      const result = updateOutputValue(outputValue, selection.type, inputValue, selection.children, path, parameters, parentType);
      output[responseName] = result.updated;
      path.pop();
      if (result.isInvalid) return NULL_BUBBLE_UP;
    } else {
      const typename = input.__typename;
      if (typename && typeof typename !== 'string') throw new Error(`Got unexpected value for __typename: ${typename}`);
      if (applies(parameters, selection, typename as string | undefined, parentType)) {
        const result = applySelectionSet(input, selection.children, output, parameters, path, selection.typeCondition ?? parentType);
        if (result === NULL_BUBBLE_UP) return NULL_BUBBLE_UP;
      }
    }
  }
  return OK;
}

function describeLast(path: (string | number)[], currentType: Type, parentType: CompositeType): string {
  const element = path[path.length - 1];
  return typeof element === 'string' ? `field ${parentType}.${element}` : `array element of type ${currentType} at index ${element}`;
}

interface Updated {
  updated: unknown;
  isInvalid?: boolean;
  hasErrors?: boolean;
}
const invalid = (message: string) => new Error(message);

function updateOutputValue(outputValue: unknown, type: TypeNode, inputValue: Value, selectionSet: Compiled[] | undefined, path: (string | number)[], parameters: Parameters, parentType: CompositeType): Updated {
  if (outputValue === null || (outputValue !== undefined && !selectionSet)) return { updated: outputValue };
  if (type.kind === 'nonNull') {
    const { updated, hasErrors } = updateOutputValue(outputValue, type.of, inputValue, selectionSet, path, parameters, parentType);
    if (updated === null) {
      if (!hasErrors) {
        parameters.errors.push(ERRORS.INVALID_GRAPHQL.err(`Cannot return null for non-nullable ${describeLast(path, type.of.type, parentType)}.`, { path: Array.from(path) }));
      }
      return { updated, isInvalid: true, hasErrors: true };
    }
    return { updated };
  }
  if (inputValue === null) return { updated: null };
  if (type.kind === 'list') {
    if (!Array.isArray(inputValue)) throw invalid(`Invalid non-list value ${inputValue} returned by subgraph for list type ${type.type}`);
    if (outputValue !== undefined && !Array.isArray(outputValue)) throw invalid(`Invalid non-list value ${outputValue} returned by subgraph for list type ${type.type}`);
    const outputList: unknown[] = outputValue === undefined ? new Array(inputValue.length).fill(undefined) : (outputValue as unknown[]);
    if (inputValue.length !== outputList.length) throw invalid(`[${inputValue}].length (${inputValue.length}) !== [${outputList}].length (${outputList.length})`);
    let shouldNullify = false;
    let hasErrors = false;
    const updated = new Array(outputList.length);
    for (let idx = 0; idx < outputList.length; idx++) {
      path.push(idx);
      const element = updateOutputValue(outputList[idx], type.of, inputValue[idx], selectionSet, path, parameters, parentType);
      path.pop();
      shouldNullify ||= !!element.isInvalid;
      hasErrors ||= !!element.hasErrors;
      updated[idx] = element.updated;
    }
    return { updated: shouldNullify ? null : updated, hasErrors };
  }
  if (type.kind === 'composite') {
    if (!selectionSet) throw invalid(`Invalid empty selection set for composite type ${type.type}`);
    if (typeof inputValue !== 'object') throw invalid(`Invalid non-object value ${inputValue} returned by subgraph for composite type ${type.type}`);
    if (outputValue !== undefined && typeof outputValue !== 'object') throw invalid(`Invalid non-object value ${inputValue} returned by subgraph for composite type ${type.type}`);
    const inputTypename = (inputValue as Output).__typename;
    if (inputTypename !== undefined && typeof inputTypename !== 'string') throw invalid(`Invalid non-string value ${inputTypename} for __typename at ${path}`);
    let objectType = type.type as CompositeType;
    if (inputTypename) {
      const named = typeNamed(parameters.schema, inputTypename);
      if (!named || (named.kind !== 'ObjectType' && named.kind !== 'InterfaceType' && named.kind !== 'UnionType')) {
        parameters.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid __typename found for object at ${describeLast(path, type.type, parentType)}.`, { path: Array.from(path) }));
        return { updated: null, hasErrors: true };
      }
      objectType = named;
    }
    const outputObject = outputValue === undefined ? (Object.create(null) as Output) : (outputValue as Output);
    const hasErrors = applySelectionSet(inputValue as Output, selectionSet, outputObject, parameters, path, objectType) === NULL_BUBBLE_UP;
    return { updated: hasErrors ? null : outputObject, hasErrors };
  }
  if (outputValue !== undefined) throw invalid(`Excepted output to be undefined but got ${type.type} for type ${type.type}`);
  const valid = type.valid(inputValue);
  if (!valid) parameters.errors.push(ERRORS.INVALID_GRAPHQL.err(`Invalid value found for ${describeLast(path, type.type, parentType)}.`, { path: Array.from(path) }));
  return { updated: valid ? inputValue : null, hasErrors: !valid };
}

export const computeResponse: ComputeResponse = ({ operation, variables, input, introspectionHandling }) => {
  if (!input) return { data: input, errors: [] };
  const schema = operation.schema();
  let defaults = defaulted.get(operation);
  if (!defaults) defaulted.set(operation, (defaults = operation.collectDefaultedVariableValues() as Record<string, unknown>));
  const parameters: Parameters = { schema, variables: { __proto__: null, ...defaults, ...variables } as Record<string, unknown>, errors: [], introspectionHandling };
  const data = Object.create(null) as Output;
  const result = applySelectionSet(input, compile(schema, operation.selectionSet), data, parameters, [], schema.schemaDefinition.rootType(operation.rootKind)!);
  return { data: result === NULL_BUBBLE_UP ? null : data, errors: parameters.errors };
};

/**
 * `executeQueryPlan` also builds a federation `Operation` from the request's document on
 * every request (`operationFromDocument(apiSchema, …, { validate: false })`) — the same one
 * each time, since Apollo Server hands every request with the same text the same parsed
 * document. Those calls (and only those: the planner's call validates) get the Operation
 * built the first time for the same schema and the same definition nodes; it is read, not
 * changed, by the executor and by `computeResponse`, whose compiled selections then last
 * as long as the document does.
 */
type OperationFromDocument = (schema: Schema, document: { definitions: readonly object[] }, options?: { operationName?: string; validate?: boolean }) => Operation;
const operationsBySchema = new WeakMap<Schema, WeakMap<object, { definitions: readonly object[]; operation: Operation }>>();
function reusingOperations(build: OperationFromDocument): OperationFromDocument {
  const reusing: OperationFromDocument = (schema, document, options) => {
    const first = document.definitions[0];
    if (options?.validate !== false || options.operationName !== undefined || !first) return build(schema, document, options);
    let bySchema = operationsBySchema.get(schema);
    if (!bySchema) operationsBySchema.set(schema, (bySchema = new WeakMap()));
    const known = bySchema.get(first);
    if (known && known.definitions.length === document.definitions.length && known.definitions.every((d, i) => d === document.definitions[i])) return known.operation;
    const operation = build(schema, document, options);
    bySchema.set(first, { definitions: [...document.definitions], operation });
    return operation;
  };
  return Object.assign(reusing, { original: build });
}

interface ShapingModule {
  computeResponse: ComputeResponse;
}
interface OperationsModule {
  operationFromDocument: OperationFromDocument & { original?: OperationFromDocument };
}
/* eslint-disable @typescript-eslint/no-require-imports */
/** @apollo/gateway's own module (what `executeQueryPlan` calls through). */
export const apolloShaping = (): ShapingModule => require('@apollo/gateway/dist/resultShaping') as ShapingModule;
/** federation-internals' operations module (its index re-exports it through getters, which read this). */
const federationOperations = (): OperationsModule => require('@apollo/federation-internals/dist/operations') as OperationsModule;
/* eslint-enable @typescript-eslint/no-require-imports */
let original: ComputeResponse | undefined;
/** Apollo's computeResponse, as it was before installResultShaping (the differential test's reference). */
export const originalComputeResponse = (): ComputeResponse => original ?? apolloShaping().computeResponse;

/** Puts `computeResponse` in place of @apollo/gateway's, and the Operation reuse in front of federation-internals' builder (idempotent). */
export function installResultShaping(): void {
  const shaping = apolloShaping();
  const operations = federationOperations();
  if (typeof shaping.computeResponse !== 'function' || typeof operations.operationFromDocument !== 'function') {
    throw new Error('@apollo/gateway or federation-internals moved resultShaping.computeResponse or operationFromDocument (see result-shaping.ts)');
  }
  if (shaping.computeResponse !== computeResponse) {
    original = shaping.computeResponse;
    shaping.computeResponse = computeResponse;
  }
  if (!operations.operationFromDocument.original) operations.operationFromDocument = reusingOperations(operations.operationFromDocument);
}

/** Puts Apollo's own back (the executor benchmark runs both in one process). */
export function uninstallResultShaping(): void {
  const operations = federationOperations();
  if (original) apolloShaping().computeResponse = original;
  if (operations.operationFromDocument.original) operations.operationFromDocument = operations.operationFromDocument.original;
}
