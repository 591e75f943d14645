import {
  buildASTSchema,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { readCheckedIn } from '../src/compose';

/**
 * Mutation fuzzing from the supergraph: every mutation, its arguments filled with boundary
 * and hostile values by their GraphQL types. Deterministic for a seed.
 */

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}
export type Rng = ReturnType<typeof prng>;

const HOSTILE_STRINGS: (() => string)[] = [
  () => '',
  () => ' ',
  () => 'a'.repeat(100_000),
  () => 'x'.repeat(10_001),
  () => '\u0000',
  () => 'nul\u0000inside',
  () => '\u0001\u0002\u0007\b\t\n\r\u001b[31m\u007f',
  () => '\ud800', // a lone surrogate
  () => '\udfff\ud800',
  () => '\u202eevil\u202c', // right-to-left override
  () => '👩‍👩‍👧‍👦🏳️‍🌈',
  () => 'Z̴̡̧̛͔̖͍a̵̢̛l̸̛̰g̷o̵'.repeat(50),
  () => '\ufeff\u200b\u200d\u2028\u2029',
  () => "' OR 1=1 --",
  () => '"; drop table users; --',
  () => '<script>alert(1)</script>',
  () => '%s%s%n%x',
  () => '${jndi:ldap://127.0.0.1/a}',
  () => '../../../../etc/passwd',
  () => '{"__proto__":{"polluted":true}}',
  () => '-1',
  () => '9'.repeat(400),
  () => 'NaN',
  () => 'null',
  () => '00000000-0000-0000-0000-000000000000',
  () => 'ffffffff-ffff-ffff-ffff-ffffffffffff',
  () => '2026-02-30T25:61:61Z',
  () => '+275760-09-13T00:00:00.001Z',
  () => 'a@b',
  () => '@'.repeat(300) + '.test',
];
const INTS = [0, -1, 1, -2147483648, 2147483647, 100_000, -100_000, 101, 2 ** 31 - 2];
const FLOATS = [0, -0.0001, -1, 1e308, -1e308, 1e-308, 3.4028235e38, 0.1 + 0.2];

function deepJson(depth: number): unknown {
  let v: unknown = { leaf: '\u0000' };
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
}

export interface Pools {
  /** Ids seen in answers, by GraphQL type name. */
  ids: Map<string, string[]>;
}

export class MutationFuzzer {
  readonly schema: GraphQLSchema;
  /** When set, every String argument and input field is this value (a sweep of one hostile value). */
  forcedString?: string;
  constructor(
    readonly rng: Rng,
    readonly pools: Pools = { ids: new Map() },
    supergraph = readCheckedIn('supergraph.graphql'),
  ) {
    this.schema = buildASTSchema(parse(supergraph), { assumeValidSDL: true });
  }

  mutations(): GraphQLField<unknown, unknown>[] {
    return Object.values(this.schema.getMutationType()?.getFields() ?? {});
  }

  private idFor(argName: string, returnType: string): unknown {
    const { rng } = this;
    const known = (t: string) => this.pools.ids.get(t) ?? [];
    const guess = /^userId$|^assigneeId$/.test(argName) ? 'User' : /^conversationId$/.test(argName) ? 'Conversation' : /^ticketId$/.test(argName) ? 'Ticket' : returnType;
    const pool = known(guess);
    if (pool.length && rng.chance(0.6)) return rng.pick(pool);
    return rng.chance(0.5) ? crypto.randomUUID() : rng.pick(HOSTILE_STRINGS)();
  }

  value(type: GraphQLInputType, name: string, returnType: string, depth = 0): unknown {
    const { rng } = this;
    if (isNonNullType(type)) return this.value(type.ofType, name, returnType, depth);
    if (this.forcedString === undefined && rng.chance(0.08)) return null;
    if (isListType(type)) {
      const n = rng.pick([0, 1, 2, 3, 500]);
      const inner = getNullableType(type.ofType) as GraphQLInputType;
      const one = () => this.value(type.ofType, name, returnType, depth + 1);
      if (n === 500) {
        const v = one();
        return Array.from({ length: n }, () => v);
      }
      return Array.from({ length: n }, one).filter((v) => v !== undefined || inner);
    }
    if (isEnumType(type)) {
      const values = type.getValues().map((v) => v.name);
      return rng.chance(0.9) ? rng.pick(values) : rng.pick(['NOT_A_VALUE', values[0]!.toLowerCase(), '', `${values[0]}\u0000`]);
    }
    if (isInputObjectType(type)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) {
        if (!isNonNullType(f.type) && rng.chance(0.3)) continue;
        out[f.name] = this.value(f.type, f.name, returnType, depth + 1);
      }
      return out;
    }
    if (isScalarType(type)) {
      switch (type.name) {
        case 'ID':
          return this.idFor(name, returnType);
        case 'String':
          if (this.forcedString !== undefined) return this.forcedString;
          return rng.chance(0.15) ? `fuzz ${rng.int(1e9)}` : rng.pick(HOSTILE_STRINGS)();
        case 'Int':
          return rng.pick(INTS);
        case 'Float':
          return rng.pick(FLOATS);
        case 'Boolean':
          return rng.chance(0.5);
        case 'DateTimeISO':
          return rng.pick([new Date().toISOString(), '1970-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', ...HOSTILE_STRINGS.slice(0, 8).map((f) => f())]);
        case 'JSON':
          return rng.pick([deepJson(rng.pick([1, 20, 200, 2000])), { a: '\u0000' }, [], 'str', 1e308, { ['k'.repeat(10_000)]: 1 }]);
        default:
          return rng.pick(HOSTILE_STRINGS)();
      }
    }
    return null;
  }

  /** One mutation request: the document (variables for every argument) and its variables. */
  request(field: GraphQLField<unknown, unknown>): { query: string; variables: Record<string, unknown> } {
    const returnType = getNamedType(field.type);
    const variables: Record<string, unknown> = {};
    const defs: string[] = [];
    const args: string[] = [];
    for (const arg of field.args as GraphQLArgument[]) {
      if (!isNonNullType(arg.type) && this.rng.chance(0.3)) continue;
      variables[arg.name] = this.value(arg.type, arg.name, returnType.name);
      defs.push(`$${arg.name}: ${String(arg.type)}`);
      args.push(`${arg.name}: $${arg.name}`);
    }
    let selection = '';
    if (isObjectType(returnType)) {
      const fields = returnType.getFields();
      // Payloads (`{ ticket { id } }`) too: one level down, to collect ids for later mutations.
      const nested = Object.values(fields)
        .filter((f) => isObjectType(getNamedType(f.type)) && (getNamedType(f.type) as any).getFields().id && !f.args.some((a) => isNonNullType(a.type)))
        .map((f) => `${f.name} { __typename id }`);
      selection = ` { __typename ${fields.id ? 'id' : ''} ${nested.join(' ')} }`;
    }
    const query = `mutation Fuzz${defs.length ? `(${defs.join(', ')})` : ''} { ${field.name}${args.length ? `(${args.join(', ')})` : ''}${selection} }`;
    return { query, variables };
  }

  /** Remembers the ids an answer carries, by type. */
  collect(data: unknown): void {
    const walk = (v: unknown) => {
      if (!v || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (typeof o.__typename === 'string' && typeof o.id === 'string') {
        const list = this.pools.ids.get(o.__typename) ?? [];
        if (!list.includes(o.id)) list.push(o.id);
        this.pools.ids.set(o.__typename, list);
      }
      Object.values(o).forEach(walk);
    };
    walk(data);
  }
}
