import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { AppError, IDENTITY_HEADER, formatTraceparent, outgoingTraceContext, signIdentity } from '@switchboard/kit';
import type { GatewayContext } from './context';

/**
 * Every fetch to a subgraph carries the caller's identity, signed, and the trace context.
 * A subgraph that does not answer (refused, timed out, 502-504) becomes one
 * UPSTREAM_UNAVAILABLE error: its fields are null, the rest of the answer stands.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    readonly name: string,
    url: string,
    private readonly internalSecret: string,
    private readonly timeoutMs: number,
  ) {
    super({ url });
    const base = this.fetcher;
    this.fetcher = (input, init) => base(input, { ...init, signal: AbortSignal.timeout(this.timeoutMs) } as never);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const http = request.http!;
    if (!context?.identity) throw new Error('gateway context without identity');
    http.headers.set(IDENTITY_HEADER, signIdentity(context.identity, this.internalSecret));
    http.headers.set('traceparent', formatTraceparent(outgoingTraceContext(context.trace)));
    http.headers.set('x-request-id', context.requestId);
  }

  /** Identical subgraph fetches in flight, by (operation, variables, caller). */
  private readonly inflight = new Map<string, Promise<GatewayGraphQLResponse>>();

  /**
   * Identical queries in flight at once — same operation, same variables, same caller's
   * identity (so the same authorization) — share one fetch. Mutations never do. Each
   * sharer gets its own copy of the answer, since the executor writes into what it gets.
   */
  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const { request, context } = options;
    const identity = context?.identity;
    if (!identity || !request.query || /^\s*mutation\b/.test(request.query)) return super.process(options);
    const { exp: _exp, ...who } = identity;
    const key = JSON.stringify([request.query, request.variables ?? null, who]);
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = super.process(options).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const shared = await pending;
    return { ...shared, data: shared.data && structuredClone(shared.data), errors: shared.errors && structuredClone(shared.errors) };
  }

  override didEncounterError(error: Error, _request: unknown, response?: FetcherResponse): void {
    if (!response || response.status >= 502) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `The ${this.name} service is unavailable`, { service: this.name });
    }
    // Anything else (a refused signature, a 4xx from a misconfigured route) is our fault:
    // a plain Error, so the client sees INTERNAL_SERVER_ERROR and the log has the detail.
    throw new Error(`${this.name} answered HTTP ${response.status}: ${error.message}`);
  }
}
