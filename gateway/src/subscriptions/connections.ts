import { AppError, type Identity } from '@switchboard/kit';
import type { Context as WsContext } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Authenticated } from '../authenticate';
import { CLOSE_FORBIDDEN } from './close-codes';
import { Counter } from './limits';
import type { Subscriber, SubscriberSocket } from './subscriber';

export type Credentials = { authorization?: string; apiKey?: string };

/** One acknowledged socket. */
export interface Connection extends SubscriberSocket {
  ctx: WsContext;
  socket: WebSocket;
  ip: string;
  identity: Identity;
  requestsPerMinute?: number;
  credentials: Credentials;
  /** Counted against socketsPerPrincipal under this key. */
  principal: string;
  subscribers: Set<Subscriber>;
  /** Subscriptions admitted or being admitted (the per-socket cap counts these). */
  slots: number;
  reauth?: NodeJS.Timeout;
  /** The re-authorization in flight, if any (notices may come twice: in-process and Redis). */
  checking?: Promise<void>;
  /** A principal-change notice came in while `checking` ran: check once more after it. */
  recheck?: boolean;
}

/**
 * The acknowledged sockets, counted per principal, and their re-authorization: on a timer,
 * and at once for the sockets a principal-change notice (`{ userId | apiKeyId | tenantId }`)
 * concerns. A credential that no longer authenticates, or now stands for another identity
 * (roles, scopes), closes its socket with 4403.
 */
export class Connections {
  private readonly byCtx = new Map<WsContext, Connection>();
  private readonly perPrincipal = new Counter();

  constructor(
    private readonly authenticate: (credentials: Credentials) => Promise<Authenticated>,
    private readonly reauthMs: number,
  ) {}

  get size(): number {
    return this.byCtx.size;
  }

  get(ctx: WsContext): Connection | undefined {
    return this.byCtx.get(ctx);
  }

  values(): IterableIterator<Connection> {
    return this.byCtx.values();
  }

  /** Registers an acknowledged socket; false (nothing registered) when its principal is at the cap. */
  add(connection: Connection, socketsPerPrincipal: number): boolean {
    if (!this.perPrincipal.add(connection.principal, socketsPerPrincipal)) return false;
    this.byCtx.set(connection.ctx, connection);
    if (this.reauthMs) {
      connection.reauth = setInterval(() => void this.reauthorize(connection), this.reauthMs);
      connection.reauth.unref();
    }
    return true;
  }

  remove(ctx: WsContext): Connection | undefined {
    const connection = this.byCtx.get(ctx);
    if (!connection) return undefined;
    this.byCtx.delete(ctx);
    this.perPrincipal.remove(connection.principal);
    if (connection.reauth) clearInterval(connection.reauth);
    return connection;
  }

  stopTimers(): void {
    for (const connection of this.byCtx.values()) if (connection.reauth) clearInterval(connection.reauth);
  }

  /** A principal-change notice: the sockets of that user, key or tenant re-authorize now. */
  principalChanged(change: Record<string, unknown>): void {
    for (const connection of this.byCtx.values()) {
      const { userId, apiKeyId, tenantId } = connection.identity;
      if ((userId && change.userId === userId) || (apiKeyId && change.apiKeyId === apiKeyId) || (tenantId && change.tenantId === tenantId)) {
        // A check already under way may have read the credential before this change: run
        // another once it is done.
        if (connection.checking) connection.recheck = true;
        void this.reauthorize(connection);
      }
    }
  }

  /** Asks again who the credentials are: revoked, expired, suspended or with other roles → 4403. */
  reauthorize(connection: Connection): Promise<void> {
    return (connection.checking ??= (async () => {
      try {
        const { identity } = await this.authenticate(connection.credentials);
        const { exp: _a, ...now } = identity;
        const { exp: _b, ...before } = connection.identity;
        if (JSON.stringify(now) === JSON.stringify(before)) return;
      } catch (error) {
        if (error instanceof AppError && error.code === 'UPSTREAM_UNAVAILABLE') return; // keep it; try again next time
      }
      connection.socket.close(CLOSE_FORBIDDEN, 'Forbidden');
    })().finally(() => {
      connection.checking = undefined;
      if (connection.recheck && connection.socket.readyState === connection.socket.OPEN) {
        connection.recheck = false;
        void this.reauthorize(connection);
      }
    }));
  }
}
