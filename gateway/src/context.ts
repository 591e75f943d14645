import type { Identity, TraceContext } from '@switchboard/kit';

export interface GatewayContext {
  identity: Identity;
  trace: TraceContext;
  requestId: string;
  /** The client's address (req.ip, behind TRUST_PROXY proxies). */
  ip?: string;
  /** Set by the login throttle when this request's `login` was refused (a threat signal). */
  loginFailed?: boolean;
}
