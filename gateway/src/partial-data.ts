import { Kind, parse, type ConstArgumentNode, type ConstDirectiveNode, type ObjectTypeDefinitionNode, type TypeNode } from 'graphql';

/**
 * Partial data when a subgraph is down: a field that subgraph A contributes to an entity
 * another subgraph owns is fetched by a separate entity fetch to A. When A is down that
 * field is null, and a non-null field would wipe its parent (GraphQL's null propagation),
 * taking the owner's data with it. So every such field must be nullable.
 *
 * The owner of an entity (a type with `@join__type(graph: …, key: …)` in two subgraphs or
 * more) is the subgraph that resolves most of its fields (ties: one whose Query returns the
 * type, then the first graph in the supergraph). A field is contributed when it names `@join__field(graph: …)` without the
 * owner, external declarations left out.
 */
export interface ContributedField {
  type: string;
  field: string;
  owner: string;
  /** The subgraphs that resolve it (graph enum values of the supergraph, e.g. TICKETS). */
  from: string[];
  nonNull: boolean;
}

const enumArg = (d: ConstDirectiveNode, name: string): string | undefined => {
  const a = d.arguments?.find((x: ConstArgumentNode) => x.name.value === name)?.value;
  return a && (a.kind === Kind.ENUM || a.kind === Kind.STRING) ? a.value : undefined;
};
const boolArg = (d: ConstDirectiveNode, name: string): boolean => {
  const a = d.arguments?.find((x) => x.name.value === name)?.value;
  return a?.kind === Kind.BOOLEAN && a.value;
};

/** Every field of the supergraph one subgraph contributes to another subgraph's entity. */
export function contributedFields(supergraphSdl: string): ContributedField[] {
  const doc = parse(supergraphSdl);
  const out: ContributedField[] = [];
  const namedType = (t: TypeNode): string => (t.kind === Kind.NAMED_TYPE ? t.name.value : namedType(t.type));
  // type name → the graphs whose root Query fields return it
  const rootGraphs = new Map<string, Set<string>>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || def.name.value !== 'Query') continue;
    for (const f of def.fields ?? []) {
      const set = rootGraphs.get(namedType(f.type)) ?? new Set<string>();
      for (const d of f.directives ?? []) if (d.name.value === 'join__field' && enumArg(d, 'graph')) set.add(enumArg(d, 'graph')!);
      rootGraphs.set(namedType(f.type), set);
    }
  }
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    const type = def as ObjectTypeDefinitionNode;
    const graphs = [...new Set((type.directives ?? []).filter((d) => d.name.value === 'join__type' && enumArg(d, 'key') !== undefined).map((d) => enumArg(d, 'graph')!))];
    if (graphs.length < 2) continue;
    const resolvers = (type.fields ?? []).map((f) => {
      const joins = (f.directives ?? []).filter((d) => d.name.value === 'join__field');
      // No @join__field: every graph of the type resolves it (a key, a shareable field).
      const from = joins.length ? [...new Set(joins.filter((d) => !boolArg(d, 'external') && enumArg(d, 'graph')).map((d) => enumArg(d, 'graph')!))] : graphs;
      return { field: f, from };
    });
    const weight = new Map(graphs.map((g) => [g, 0]));
    for (const r of resolvers) for (const g of r.from) weight.set(g, (weight.get(g) ?? 0) + 1);
    const roots = rootGraphs.get(type.name.value) ?? new Set<string>();
    const score = (g: string) => (weight.get(g) ?? 0) * 2 + (roots.has(g) ? 1 : 0);
    const owner = graphs.reduce((best, g) => (score(g) > score(best) ? g : best), graphs[0]!);
    for (const { field, from } of resolvers) {
      if (from.includes(owner) || !from.length) continue;
      out.push({ type: type.name.value, field: field.name.value, owner, from, nonNull: field.type.kind === Kind.NON_NULL_TYPE });
    }
  }
  return out;
}

/** Throws when a contributed field is non-null: when its subgraph is down it would wipe the owner's data. */
export function assertPartialDataSafe(supergraphSdl: string): void {
  const bad = contributedFields(supergraphSdl).filter((f) => f.nonNull);
  if (bad.length) {
    throw new Error(
      `Composition check failed: fields contributed to another subgraph's entity must be nullable (a subgraph that is down would wipe its parent):\n${bad
        .map((f) => `  - ${f.type}.${f.field} (from ${f.from.join(', ').toLowerCase()}, entity owned by ${f.owner.toLowerCase()})`)
        .join('\n')}`,
    );
  }
}
