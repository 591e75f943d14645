import { IDENTITY_HEADER, signIdentity } from '@switchboard/kit';

/**
 * How the integrations subgraph writes to conversations: the conversations subgraph's own
 * GraphQL API — its normal write path, validation, events and idempotency — called directly
 * with an identity this subgraph signs with the internal secret, for that subgraph only
 * (audience `conversations`): an API-key identity of the connector's tenant
 * (`apiKeyId` = the connector's id) with `conversations:write`, which is what lets it send as
 * CUSTOMER. No key is stored anywhere; the identity lives 15 s like the gateway's.
 */
export class ConversationsClient {
  constructor(
    private readonly url: () => string,
    private readonly internalSecret: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async request<T>(tenantId: string, connectorId: string, query: string, variables: Record<string, unknown>): Promise<T> {
    const identity = signIdentity(
      // A service acting for the connector's tenant (kit authorize: by scope), not a made-up API key.
      { kind: 'service', service: `integrations:${connectorId}`, tenantId, roles: [], scopes: ['conversations:read', 'conversations:write'], audience: 'conversations' },
      this.internalSecret,
    );
    const res = await fetch(this.url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [IDENTITY_HEADER]: identity },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const json = (await res.json()) as { data?: T; errors?: { message: string; extensions?: { code?: string } }[] };
    if (json.errors?.length || !json.data) {
      throw Object.assign(new Error(`conversations answered ${json.errors?.map((e) => e.extensions?.code ?? e.message).join(', ') ?? res.status}`), { errors: json.errors });
    }
    return json.data;
  }
}
