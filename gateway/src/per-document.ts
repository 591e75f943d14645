/**
 * A check of a parsed document (or of one of its nodes), computed once per node. Apollo
 * Server keeps parsed documents by query text and hands every request with the same text the
 * same `DocumentNode`, so the edge's per-document checks — unpaired surrogates, injection-
 * shaped strings, introspection — walk a document once, not on every request (they were
 * three walks of the document per request). Documents are never mutated after parsing.
 * Arguments after the node must follow from it (an operation's own document), never from
 * the request (its variables).
 */
export function perDocument<N extends object, A extends unknown[], T>(check: (node: N, ...rest: A) => T): (node: N, ...rest: A) => T {
  const memo = new WeakMap<N, { value: T }>();
  return (node, ...rest) => {
    let hit = memo.get(node);
    if (!hit) memo.set(node, (hit = { value: check(node, ...rest) }));
    return hit.value;
  };
}
