import type { Identity, TraceContext } from '@switchboard/kit';

export interface GatewayContext {
  identity: Identity;
  trace: TraceContext;
  requestId: string;
}
