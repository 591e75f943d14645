import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { createLogger, createRedis, createSubgraphServer, IDENTITY_HEADER, LIVE_ACCESS_SDL, NotFoundError, verifyIdentity, type Identity, type Logger, type Redis, type RunningServer } from '@switchboard/kit';
import { demoDirectory } from '@switchboard/tenants';
import { parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { bootstrap as startGateway, type GatewayApp, type GatewayConfig, type GatewayOptions } from '../src/app';
import { publishLive } from '../src/subscriptions';
import { post, startStack, type GraphQLResponse, type Stack } from './stack';

/**
 * Test-only subgraphs for the subscription machinery (small, so a test counts every fetch):
 * "chat" owns Message, Conversation and `Subscription.messageAdded` (with its `@liveAccess` rule),
 * "people" owns User. Both sit behind the kit's subgraph server, so every request must carry
 * the gateway's signed identity, and both scope every answer to the caller's tenant.
 */
const chatSdl = (liveAccess: string) => `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@composeDirective"])
  ${LIVE_ACCESS_SDL}
  type Query { conversation(id: ID!): Conversation }
  type Mutation { sendMessage(conversationId: ID!, text: String!): Message! }
  type Subscription { messageAdded(conversationId: ID!): Message ${liveAccess} }
  type Conversation @key(fields: "id") { id: ID! title: String! }
  type Message @key(fields: "id") { id: ID! text: String! conversationId: ID! author: User }
  type User @key(fields: "id", resolvable: false) { id: ID! }
`;
const PEOPLE_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
  type Query { person(id: ID!): User }
  type User @key(fields: "id") { id: ID! name: String! }
`;

const LIVE_ACCESS = '@liveAccess(query: "conversation", argument: "conversationId")';

interface Ctx {
  identity: Identity;
}
export interface DemoUser {
  id: string;
  tenantId: string;
  name: string;
  email: string;
}
interface StoredMessage {
  id: string;
  tenantId: string;
  conversationId: string;
  text: string;
  authorId?: string;
}

export interface ChatSubgraph {
  server: RunningServer;
  conversations: Map<string, { id: string; tenantId: string; title: string }>;
  messages: Map<string, StoredMessage>;
  /** Message representations resolved (each primary `_entities` fetch of a live event counts one). */
  entityResolutions: number;
  /** Identities the chat subgraph verified, in order (what the gateway signed). */
  identities: Identity[];
}

async function startChat(secret: string, redis: Redis | undefined, logger: Logger): Promise<ChatSubgraph> {
  const chat = { conversations: new Map(), messages: new Map(), entityResolutions: 0, identities: [] } as unknown as ChatSubgraph;
  const conversationOf = (id: string, ctx: Ctx) => {
    const c = chat.conversations.get(id);
    if (!c || c.tenantId !== ctx.identity.tenantId) throw new NotFoundError('Conversation', id);
    return c;
  };
  const schema = buildSubgraphSchema({
    typeDefs: parse(chatSdl(LIVE_ACCESS)),
    resolvers: {
      Query: { conversation: (_: unknown, { id }: { id: string }, ctx: Ctx) => conversationOf(id, ctx) },
      Mutation: {
        sendMessage: async (_: unknown, { conversationId, text }: { conversationId: string; text: string }, ctx: Ctx) => {
          const conversation = conversationOf(conversationId, ctx);
          const message: StoredMessage = { id: randomUUID(), tenantId: conversation.tenantId, conversationId, text, authorId: ctx.identity.userId };
          chat.messages.set(message.id, message);
          await publishLive(redis, message.tenantId, { field: 'messageAdded', args: { conversationId }, representation: { __typename: 'Message', id: message.id } });
          return message;
        },
      },
      Message: {
        __resolveReference: (ref: { id: string }, ctx: Ctx) => {
          chat.entityResolutions += 1;
          const message = chat.messages.get(ref.id);
          return message && message.tenantId === ctx.identity.tenantId ? message : null;
        },
        author: (m: StoredMessage) => (m.authorId ? { __typename: 'User', id: m.authorId } : null),
      },
    } as never,
  });
  chat.server = await createSubgraphServer<Ctx>(
    {
      name: 'chat',
      schema,
      logger,
      internalSecret: secret,
      context: (identity) => {
        chat.identities.push(identity);
        return { identity };
      },
    },
    { port: 0, host: '127.0.0.1' },
  );
  return chat;
}

export interface PeopleSubgraph {
  server: RunningServer;
  /** Milliseconds every User resolution waits (to hold an execution in flight). */
  delayMs: number;
  resolutions: number;
}

async function startPeople(secret: string, users: DemoUser[], logger: Logger): Promise<PeopleSubgraph> {
  const people = { delayMs: 0, resolutions: 0 } as PeopleSubgraph;
  const byId = new Map(users.map((u) => [u.id, u]));
  const find = async (id: string, ctx: Ctx) => {
    people.resolutions += 1;
    if (people.delayMs) await new Promise((r) => setTimeout(r, people.delayMs));
    const user = byId.get(id);
    return user && user.tenantId === ctx.identity.tenantId ? { id: user.id, name: user.name } : null;
  };
  const schema = buildSubgraphSchema({
    typeDefs: parse(PEOPLE_SDL),
    resolvers: {
      Query: { person: (_: unknown, { id }: { id: string }, ctx: Ctx) => find(id, ctx) },
      User: { __resolveReference: (ref: { id: string }, ctx: Ctx) => find(ref.id, ctx) },
    } as never,
  });
  // The kit's server verifies the header already; this checks it again in plain sight.
  people.server = await createSubgraphServer<Ctx>(
    {
      name: 'people',
      schema,
      logger,
      internalSecret: secret,
      routes: (app) =>
        app.use((req, res, next) => {
          const verified = verifyIdentity(req.headers[IDENTITY_HEADER] as string | undefined, secret);
          if (!verified.ok || !verified.identity.tenantId) return void res.status(401).json({ errors: [{ message: 'no tenant identity' }] });
          next();
        }),
      context: (identity) => ({ identity }),
    },
    { port: 0, host: '127.0.0.1' },
  );
  return people;
}

export interface Subscription<T = any> {
  results: { data?: T; errors?: any[] }[];
  errors: unknown[];
  completed: boolean;
  dispose(): void;
}

export interface LiveClient {
  client: Client;
  /** Close events the client saw, in order. */
  closes: { code: number; reason: string }[];
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  dispose(): Promise<void>;
}

export interface SubscriptionStack {
  base: Stack;
  chat: ChatSubgraph;
  people: PeopleSubgraph;
  users: Record<string, DemoUser>;
  /** Conversation ids by tenant slug ("acme", "globex"). */
  conversations: { acme: string; globex: string };
  /** The same supergraph with no `@liveAccess` on messageAdded (for SUPERGRAPH_PATH). */
  supergraphWithoutAccess: string;
  /** Composes the same subgraphs with this in place of messageAdded's `@liveAccess(…)`; returns the file. */
  supergraphWith(liveAccess: string): string;
  /** The first gateway over the test supergraph (Redis fan-out when REDIS_URL is set). */
  gateway: GatewayApp;
  startGateway(env?: Partial<GatewayConfig>, options?: GatewayOptions): Promise<GatewayApp>;
  /** A bearer token for a demo user (logged in through the standard gateway). */
  token(email: string): Promise<string>;
  connect(gateway: GatewayApp, connectionParams?: Record<string, unknown>): LiveClient;
  /** `sendMessage` over HTTP through a gateway as a demo user. */
  send(gateway: GatewayApp, email: string, conversationId: string, text: string): Promise<GraphQLResponse>;
  redis?: Redis;
  close(): Promise<void>;
}

export async function startSubscriptionStack(): Promise<SubscriptionStack> {
  const base = await startStack();
  const logs: Record<string, any>[] = [];
  const logger: Logger = createLogger({}, 'info', (line) => logs.push(JSON.parse(line)));
  const secret = base.gateway.config.INTERNAL_SECRET;
  const redisUrl = process.env.REDIS_URL;
  const redis = redisUrl ? createRedis(redisUrl) : undefined;
  const directory = await demoDirectory(base.tenants.orm);
  const users = Object.fromEntries(directory.map((u) => [u.email, u]));
  const chat = await startChat(secret, redis, logger.child({ service: 'chat' }));
  const people = await startPeople(secret, directory, logger.child({ service: 'people' }));
  const tenantOf = (slug: string) => directory.find((u) => u.tenantSlug === slug)!.tenantId;
  const conversations = { acme: randomUUID(), globex: randomUUID() };
  chat.conversations.set(conversations.acme, { id: conversations.acme, tenantId: tenantOf('acme'), title: 'Acme chat' });
  chat.conversations.set(conversations.globex, { id: conversations.globex, tenantId: tenantOf('globex'), title: 'Globex chat' });

  const dir = mkdtempSync(path.join(tmpdir(), 'sb-subscriptions-'));
  const compose = (liveAccess: string, file: string) => {
    const composed = composeServices([
      { name: 'chat', typeDefs: parse(chatSdl(liveAccess)), url: chat.server.url },
      { name: 'people', typeDefs: parse(PEOPLE_SDL), url: people.server.url },
    ]);
    if (composed.errors) throw new Error(`composition failed: ${composed.errors.map((e) => e.message).join('; ')}`);
    writeFileSync(path.join(dir, file), composed.supergraphSdl);
    return path.join(dir, file);
  };
  const supergraphPath = compose(LIVE_ACCESS, 'supergraph.graphql');
  const supergraphWithoutAccess = compose('', 'supergraph-without-access.graphql');
  let variants = 0;
  const manifestPath = path.join(dir, 'persisted-documents.json');
  writeFileSync(manifestPath, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [] }));

  const started: GatewayApp[] = [];
  const clients = new Set<LiveClient>();
  async function start(env: Partial<GatewayConfig> = {}, options: GatewayOptions = {}): Promise<GatewayApp> {
    const config: GatewayConfig = {
      ...base.gateway.config,
      SUPERGRAPH_PATH: supergraphPath,
      PERSISTED_DOCUMENTS_PATH: manifestPath,
      SUBGRAPH_URLS: { ...base.gateway.config.SUBGRAPH_URLS, TENANTS_URL: base.tenants.url },
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: `test:subscriptions:${randomUUID()}:`,
      ...env,
    };
    const app = await startGateway(config, logger.child({ service: 'gateway' }), options);
    started.push(app);
    return app;
  }
  const gateway = await start();
  const tokens = new Map<string, string>();

  const stack: SubscriptionStack = {
    base,
    chat,
    people,
    users,
    conversations,
    supergraphWithoutAccess,
    supergraphWith: (liveAccess) => compose(liveAccess, `supergraph-${++variants}.graphql`),
    gateway,
    redis,
    startGateway: start,
    async token(email) {
      if (!tokens.has(email)) tokens.set(email, (await base.as(email)).authorization!.replace(/^Bearer /, ''));
      return tokens.get(email)!;
    },
    connect(to, connectionParams) {
      const closes: { code: number; reason: string }[] = [];
      const client = createClient({
        url: to.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams,
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
        on: { closed: (event) => void closes.push({ code: (event as { code: number }).code, reason: String((event as { reason?: string }).reason ?? '') }) },
      });
      const live: LiveClient = {
        client,
        closes,
        subscribe(query, variables) {
          const sub: Subscription = { results: [], errors: [], completed: false, dispose: () => {} };
          sub.dispose = client.subscribe(
            { query, variables },
            {
              next: (value) => void sub.results.push(value as never),
              error: (error) => void sub.errors.push(error),
              complete: () => void (sub.completed = true),
            },
          );
          return sub;
        },
        async dispose() {
          clients.delete(live);
          await client.dispose();
        },
      };
      clients.add(live);
      return live;
    },
    async send(to, email, conversationId, text) {
      return post(
        to.url,
        { query: `mutation($c: ID!, $t: String!) { sendMessage(conversationId: $c, text: $t) { id } }`, variables: { c: conversationId, t: text } },
        { authorization: `Bearer ${await stack.token(email)}` },
      );
    },
    async close() {
      for (const c of [...clients]) await c.dispose().catch(() => {});
      for (const g of started) await g.close();
      await chat.server.stop();
      await people.server.stop();
      redis?.disconnect();
      rmSync(dir, { recursive: true, force: true });
      await base.close();
    },
  };
  return stack;
}

/** Polls `condition` every 10 ms until it holds, or fails after `timeoutMs` with `what`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
