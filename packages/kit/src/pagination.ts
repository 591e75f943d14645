import type { EntityManager, EntityName, FilterQuery } from '@mikro-orm/postgresql';
import { Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { BadInputError } from './errors';

@ObjectType({ description: 'Where a page of a connection ends.' })
@Directive('@shareable')
export class PageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page.' })
  endCursor!: string | null;
}

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  nodes: T[];
  pageInfo: PageInfo;
  totalCount: number;
}

/** A Relay-style connection type for one node type: `<Name>Connection` and `<Name>Edge`. */
export function connectionType<T extends object>(Node: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
    cursor!: string;

    @Field(() => Node)
    node!: T;
  }

  @ObjectType(`${name}Connection`)
  class Connection {
    @Field(() => [Edge])
    edges!: Edge[];

    @Field(() => [Node], { description: 'The nodes of `edges`, for when cursors per item are not needed.' })
    nodes!: T[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;

    @Field(() => Int, { description: 'Items in the whole list, across pages.' })
    totalCount!: number;
  }
  return Connection as ClassType<Page<T>>;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const createdAt = new Date(at);
    if (typeof id !== 'string' || Number.isNaN(createdAt.getTime())) throw new Error('bad cursor');
    return { createdAt, id };
  } catch {
    throw new BadInputError('after', 'after is not a cursor from this list');
  }
}

export function pageSize(first: number | null | undefined): number {
  if (first === undefined || first === null) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new BadInputError('first', `first must be between 1 and ${MAX_PAGE_SIZE}`);
  }
  return first;
}

/**
 * Keyset pagination over (createdAt, id), oldest first unless `order` is 'desc': stable
 * under inserts, and one indexed range scan per page (list indexes are (tenant_id,
 * created_at, id)).
 */
export async function paginate<T extends { id: string; createdAt: Date }>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: { first?: number | null; after?: string | null },
  order: 'asc' | 'desc' = 'asc',
): Promise<Page<T>> {
  const limit = pageSize(args.first);
  const cursor = args.after ? decodeCursor(args.after) : null;
  const range = cursor
    ? order === 'asc'
      ? { $or: [{ createdAt: { $gt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $gt: cursor.id } }] }
      : { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] }
    : {};
  const [rows, totalCount] = await Promise.all([
    em.find(entity, { $and: [where, range] } as FilterQuery<T>, { orderBy: { createdAt: order, id: order } as never, limit: limit + 1 }),
    em.count(entity, where),
  ]);
  const hasNextPage = rows.length > limit;
  const nodes = rows.slice(0, limit);
  const edges = nodes.map((node) => ({ cursor: encodeCursor(node.createdAt, node.id), node }));
  return { edges, nodes, totalCount, pageInfo: { hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
}
