import { buildSchema, operationFromDocument, possibleRuntimeTypes, Supergraph, type CompositeType, type Operation, type Schema, type SelectionSet, type Type } from '@apollo/federation-internals';
import { seededRandom } from '@switchboard/kit/src/testing';
import { parse } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { apolloShaping, computeResponse, installResultShaping, originalComputeResponse } from './result-shaping';

/**
 * The compiled result shaping against @apollo/gateway's own, on the same inputs: answers
 * generated from the operation (every field present and valid), then damaged at random —
 * nulls where the schema says non-null, values of the wrong kind, unknown enum values,
 * unknown or abstract __typenames, missing fields, extra fields nobody asked for — and the
 * two outputs compared as the client would see them: the JSON of data (key order included)
 * and each error's message and path. Or both throw, with the same message.
 */

function generate(schema: Schema, selectionSet: SelectionSet, type: CompositeType, rand: () => number, damage: number): Record<string, unknown> {
  const runtime = type.kind === 'ObjectType' ? [type] : [...possibleRuntimeTypes(type)];
  const concrete = runtime[Math.floor(rand() * runtime.length)] ?? type;
  const out: Record<string, unknown> = {};
  if (type.kind !== 'ObjectType' || rand() < 0.5) out.__typename = concrete.name;
  if (rand() < damage) out.__typename = ['Nope', 'Query', type.name, 42][Math.floor(rand() * 4)];
  if (rand() < damage) out.extra = 'not asked for';
  fill(schema, selectionSet, concrete as CompositeType, out, rand, damage);
  return out;
}

function fill(schema: Schema, selectionSet: SelectionSet, concrete: CompositeType, out: Record<string, unknown>, rand: () => number, damage: number) {
  for (const selection of selectionSet.selections()) {
    if (selection.kind === 'FieldSelection') {
      const field = selection.element;
      if (field.name === '__typename') {
        if (rand() < 0.5) out[field.responseName()] = concrete.name;
        continue;
      }
      if (rand() < damage / 2) continue; // missing
      out[field.responseName()] = value(schema, field.definition.type!, selection.selectionSet, rand, damage);
    } else {
      const condition = selection.element.typeCondition;
      if (!condition || rand() < 0.8) fill(schema, selection.selectionSet, (condition ?? concrete) as CompositeType, out, rand, damage);
    }
  }
}

function value(schema: Schema, type: Type, selectionSet: SelectionSet | undefined, rand: () => number, damage: number): unknown {
  if (rand() < damage) return [null, 'a string', 7, 1.5, true, [], {}][Math.floor(rand() * 7)];
  switch (type.kind) {
    case 'NonNullType':
      return value(schema, type.ofType, selectionSet, rand, damage);
    case 'ListType':
      return Array.from({ length: Math.floor(rand() * 4) }, () => value(schema, type.ofType, selectionSet, rand, damage));
    case 'ObjectType':
    case 'InterfaceType':
    case 'UnionType':
      return generate(schema, selectionSet!, type, rand, damage);
    case 'EnumType':
      return type.values[Math.floor(rand() * type.values.length)]?.name ?? 'NONE';
    default:
      return { Int: 3, Float: 2.5, String: 'text', Boolean: false, ID: 'id-1' }[type.name as 'Int'] ?? '2026-12-02T10:00:00.000Z';
  }
}

const shown = (result: { data: unknown; errors: Error[] }) => JSON.stringify({ data: result.data, errors: result.errors.map((e) => ({ message: e.message, path: (e as { path?: unknown }).path })) });
function outcome(run: () => { data: unknown; errors: Error[] }): string {
  try {
    return shown(run());
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

function compare(operation: Operation, variables: Record<string, unknown>, seeds: number, damage: number) {
  const reference = originalComputeResponse();
  const root = operation.schema().schemaDefinition.rootType(operation.rootKind)!;
  let differences = 0;
  const kinds = new Set<string>();
  for (let seed = 1; seed <= seeds; seed++) {
    const input = generate(operation.schema(), operation.selectionSet, root, seededRandom(seed), damage);
    delete input.__typename;
    const introspectionHandling = () => ({ introspected: true });
    const theirs = outcome(() => reference({ operation, variables, input: structuredClone(input), introspectionHandling }));
    const ours = outcome(() => computeResponse({ operation, variables, input: structuredClone(input), introspectionHandling }));
    if (theirs !== ours) {
      differences++;
      if (differences === 1) expect({ seed, ours }).toEqual({ seed, ours: theirs });
    }
    kinds.add(theirs.startsWith('threw') ? 'threw' : theirs.includes('"errors":[]') ? 'clean' : 'errors');
  }
  expect(differences).toBe(0);
  return kinds;
}

const supergraph = Supergraph.build(readFileSync(path.join(__dirname, '../../schema/supergraph.graphql'), 'utf8'));
const api = supergraph.apiSchema();
const operation = (schema: Schema, query: string) => operationFromDocument(schema, parse(query), { validate: false });

describe('result shaping (compiled) gives what @apollo/gateway gives', () => {
  const queries = [
    'query List { tickets(first: 50) { nodes { id number subject assignee { name email } sla { state } } } }',
    'query One($id: ID!) { ticket(id: $id) { id number subject status assignee { name } sla { state } } }',
    'query Counts { ticketCounts { status count } }',
    `query Aliased($withSla: Boolean!, $noTags: Boolean = false) {
       first: tickets(first: 5) { nodes { key: id t: __typename n: number tags @skip(if: $noTags) sla @include(if: $withSla) { state breachedAt } ...More } }
       again: tickets(first: 2) { nodes { id ... on Ticket { priority status } requester { __typename } } }
     }
     fragment More on Ticket { createdAt version assignee { id name ... @include(if: $withSla) { email } } }`,
  ];
  it.each(queries)('on the supergraph: %s', (query) => {
    const kinds = new Set<string>();
    for (const damage of [0, 0.03, 0.15]) for (const k of compare(operation(api, query), { withSla: true, id: 't1' }, 150, damage)) kinds.add(k);
    // The generated inputs reached clean answers and answers with errors (not just one path).
    expect(kinds.has('clean')).toBe(true);
    expect(kinds.has('errors')).toBe(true);
  });

  const abstract = buildSchema(`
    scalar When
    enum Mood { HAPPY SAD }
    interface Node { id: ID! }
    interface Named { name: String }
    type Person implements Node & Named { id: ID! name: String mood: Mood! friends: [Person!] born: When score: Float }
    type Bot implements Node & Named { id: ID! name: String version: Int! }
    type Place implements Node { id: ID! lat: Float! tags: [[String!]]! }
    union Thing = Person | Bot | Place
    type Query { node(id: ID!): Node things: [Thing!]! named: [Named] me: Person! flag: Boolean }
  `);
  it('on interfaces, unions, nested lists, custom scalars and enums', () => {
    const query = `query Q($skip: Boolean!) {
      node(id: "1") { __typename id ... on Person { name mood friends { id mood } } ... on Bot { version } }
      things { kind: __typename ... on Node { id } ... on Place { lat tags } ... on Named { name ... on Person { born score } } }
      named { name __typename ... on Bot { version @skip(if: $skip) } }
      me { id mood born friends { name } }
      flag
    }`;
    const kinds = new Set<string>();
    for (const damage of [0, 0.05, 0.2]) for (const k of compare(operation(abstract, query), { skip: false }, 300, damage)) kinds.add(k);
    expect(kinds.has('clean')).toBe(true);
    expect(kinds.has('errors')).toBe(true);
  });

  it('hands introspection fields to the executor, as Apollo does', () => {
    const op = operation(api, '{ __schema { queryType { name } } ticketCounts { count } }');
    const input = { ticketCounts: [{ count: 1 }] };
    const handled: unknown[] = [];
    const answer = computeResponse({ operation: op, variables: {}, input, introspectionHandling: (selection) => (handled.push(selection), { queryType: { name: 'Query' } }) });
    expect(JSON.stringify(answer.data)).toBe('{"__schema":{"queryType":{"name":"Query"}},"ticketCounts":[{"count":1}]}');
    expect(handled).toHaveLength(1);
  });

  it('is installed in place of @apollo/gateway’s, and each document’s operation is built once', () => {
    installResultShaping();
    installResultShaping();
    expect(apolloShaping().computeResponse).toBe(computeResponse);
    expect(originalComputeResponse()).not.toBe(computeResponse);
    // What executeQueryPlan does on each request: the same definition nodes, validate: false.
    const document = parse('query Q { ticketCounts { count } }');
    const build = () => operationFromDocument(api, { kind: document.kind, definitions: [...document.definitions] }, { validate: false });
    expect(build()).toBe(build());
    // The planner's call (which validates) and another document are built afresh.
    expect(operationFromDocument(api, document)).not.toBe(operationFromDocument(api, document));
    expect(build()).not.toBe(operation(api, 'query Q { ticketCounts { count } }'));
  });
});
