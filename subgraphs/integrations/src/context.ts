import type { EntityManager, Identity } from '@switchboard/kit';
import type { IntegrationsConfig } from './env';
import type { IntegrationsLoaders } from './loaders';
import type { CrmSync } from './modules/crm/sync';
import type { SelectionResolver } from './modules/webhooks/selection';
import type { SecretBox } from './modules/webhooks/signing';
import type { UrlPolicy } from './modules/webhooks/url-guard';

/** What every resolver of the integrations subgraph gets, fresh per request. */
export interface IntegrationsContext {
  identity: Identity;
  /** Bound to the caller's tenant: every query is filtered by it. */
  em: EntityManager;
  config: IntegrationsConfig;
  loaders: IntegrationsLoaders;
  clock: () => Date;
  urls: UrlPolicy;
  secrets: SecretBox;
  selections: SelectionResolver;
  /** Tells the dispatcher there may be something to send now. */
  wake: () => void;
  /** The CRM contact sync (started with the service's background work). */
  crm: () => CrmSync;
}
