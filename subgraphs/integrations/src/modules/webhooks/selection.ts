import { RemoteGraphQLDataSource, buildOperationContext, executeQueryPlan, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { Supergraph, operationFromDocument, type Schema } from '@apollo/federation-internals';
import { QueryPlanner, type QueryPlan } from '@apollo/query-planner';
import { BadInputError, IDENTITY_HEADER, signIdentity, type Identity } from '@switchboard/kit';
import { parse, validate, type DocumentNode, type GraphQLSchema, type SelectionSetNode } from 'graphql';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The entity an event is about, and the root field that fetches it by id. */
const ENTITIES = {
  Ticket: { root: 'ticket', id: (data: Record<string, unknown>) => data.id },
  Conversation: { root: 'conversation', id: (data: Record<string, unknown>) => data.conversationId ?? data.id },
} as const;
export type SelectableEntity = keyof typeof ENTITIES;

export function entityOf(eventType: string): SelectableEntity | null {
  if (eventType.startsWith('ticket.')) return 'Ticket';
  if (eventType.startsWith('conversation.')) return 'Conversation';
  return null;
}

const MAX_LENGTH = 2000;
const MAX_DEPTH = 5;

function depthOf(set: SelectionSetNode | undefined): number {
  if (!set) return 0;
  return 1 + Math.max(0, ...set.selections.map((s) => ('selectionSet' in s ? depthOf(s.selectionSet) : 0)));
}

/** Who a selection is resolved as: the endpoint's owner, as they were when they saved it. */
export type Owner = Pick<Identity, 'kind' | 'userId' | 'apiKeyId' | 'apiKeyKind' | 'roles' | 'scopes'>;

interface Context {
  identity: Identity;
  requestId: string;
}

class SignedDataSource extends RemoteGraphQLDataSource<Context> {
  constructor(
    readonly name: string,
    url: string,
    private readonly secret: string,
    private readonly timeoutMs: number,
  ) {
    super({ url });
    const base = this.fetcher;
    this.fetcher = (input, init) => base(input, { ...init, signal: AbortSignal.timeout(this.timeoutMs) } as never);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<Context>): void {
    const { exp: _exp, audience: _audience, jti: _jti, ...identity } = context.identity;
    request.http!.headers.set(IDENTITY_HEADER, signIdentity({ ...identity, audience: this.name, requestId: context.requestId }, this.secret));
  }
}

/**
 * Selection-shaped payloads. A selection is checked against the supergraph's API schema as
 * the body of `query($id: ID!) { entity: ticket(id: $id) { <selection> } }` (or
 * `conversation`), and resolved at delivery the way the gateway resolves a query: planned by
 * the federation query planner and executed against the subgraphs, each fetch carrying the
 * endpoint owner's identity signed for that subgraph — so each subgraph applies the owner's
 * permissions. A field the owner may not read comes back as an error at its path and is left
 * out of `data`.
 */
export class SelectionResolver {
  private loaded?: { api: Schema; apiSchema: GraphQLSchema; supergraphSchema: GraphQLSchema; planner: QueryPlanner; services: Record<string, SignedDataSource> };
  private readonly plans = new Map<string, { plan: QueryPlan; context: ReturnType<typeof buildOperationContext>; source: string }>();

  constructor(
    private readonly supergraphPath: string,
    private readonly urls: Record<string, string | undefined>,
    private readonly internalSecret: string,
    private readonly timeoutMs: number,
  ) {}

  private load() {
    if (!this.loaded) {
      const supergraph = Supergraph.build(readFileSync(this.supergraphPath, 'utf8'));
      const api = supergraph.apiSchema();
      const services: Record<string, SignedDataSource> = Object.create(null);
      for (const s of supergraph.subgraphs().values()) {
        services[s.name] = new SignedDataSource(s.name, this.urls[s.name] ?? s.url, this.internalSecret, this.timeoutMs);
      }
      this.loaded = { api, apiSchema: api.toGraphQLJSSchema(), supergraphSchema: supergraph.schema.toGraphQLJSSchema(), planner: new QueryPlanner(supergraph), services };
    }
    return this.loaded;
  }

  private documentFor(entity: SelectableEntity, selection: string): string {
    return `query SwitchboardWebhookSelection($id: ID!) { entity: ${ENTITIES[entity].root}(id: $id) { ${selection} } }`;
  }

  /** The selection, trimmed, or BAD_USER_INPUT naming `selection`. Every event of the endpoint must be about one entity type. */
  check(selection: string, events: readonly string[]): string {
    const s = selection.trim();
    if (s.length > MAX_LENGTH) throw new BadInputError('selection', `selection is longer than ${MAX_LENGTH} characters`);
    if (/[$@#]|\.\.\./.test(s)) throw new BadInputError('selection', 'selection is plain fields: no variables, directives, fragments or comments');
    const entities = new Set(events.map(entityOf));
    const [entity] = [...entities];
    if (entities.size !== 1 || !entity) throw new BadInputError('selection', 'a selection needs events about one entity type: all ticket.* (Ticket) or all conversation.* (Conversation)');
    let document: DocumentNode;
    try {
      document = parse(this.documentFor(entity, s), { maxTokens: 500 });
    } catch (error) {
      throw new BadInputError('selection', `selection does not parse: ${(error as Error).message}`);
    }
    const field = (document.definitions[0] as { selectionSet: SelectionSetNode }).selectionSet.selections[0] as { selectionSet?: SelectionSetNode };
    if (depthOf(field.selectionSet) > MAX_DEPTH) throw new BadInputError('selection', `selection is nested deeper than ${MAX_DEPTH}`);
    const errors = validate(this.load().apiSchema, document);
    if (errors.length) throw new BadInputError('selection', `selection is not valid on ${entity}: ${errors[0]!.message}`);
    return s;
  }

  /** `data` for an event: exactly the selected fields the owner may read; null when the entity is gone or not theirs. */
  async resolve(selection: string, eventType: string, data: Record<string, unknown>, tenantId: string, owner: Owner): Promise<Record<string, unknown> | null> {
    const entity = entityOf(eventType);
    const id = entity ? ENTITIES[entity].id(data) : undefined;
    if (!entity || typeof id !== 'string') return null;
    const { api, apiSchema, supergraphSchema, planner, services } = this.load();
    const key = `${entity}\n${selection}`;
    let planned = this.plans.get(key);
    if (!planned) {
      const source = this.documentFor(entity, selection);
      const document = parse(source);
      planned = {
        plan: planner.buildQueryPlan(operationFromDocument(api, document, { operationName: 'SwitchboardWebhookSelection' })),
        context: buildOperationContext({ schema: apiSchema, operationDocument: document, operationName: 'SwitchboardWebhookSelection' }),
        source,
      };
      if (this.plans.size > 1000) this.plans.clear();
      this.plans.set(key, planned);
    }
    const identity: Identity = { ...owner, tenantId, exp: 0 };
    const requestContext = {
      request: { query: planned.source, variables: { id }, operationName: 'SwitchboardWebhookSelection' },
      context: { identity, requestId: randomUUID() },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      metrics: {},
      cache: undefined,
    };
    const result = await executeQueryPlan(planned.plan, services as never, requestContext as never, planned.context, supergraphSchema, api);
    const unavailable = result.errors?.find((e) => e.extensions?.code === 'UPSTREAM_UNAVAILABLE' || e.extensions?.code === 'INTERNAL_SERVER_ERROR');
    if (unavailable) throw new Error(`selection could not be resolved: ${unavailable.message}`);
    const root = (result.data as { entity?: Record<string, unknown> | null } | undefined)?.entity ?? null;
    if (!root) return null;
    // Leave out every field that answered an error (e.g. FORBIDDEN for this owner).
    for (const error of result.errors ?? []) {
      const path = error.path ?? [];
      if (path[0] !== 'entity' || path.length < 2) continue;
      let node: any = root;
      for (const step of path.slice(1, -1)) node = node?.[step as never];
      if (node && typeof node === 'object') delete node[path.at(-1) as never];
    }
    return root;
  }
}
