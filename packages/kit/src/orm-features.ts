import { auditFeature } from './audit';
import type { OrmFeature } from './db';
import { directoryFeature } from './directory';
import { tenantOwnedFeature } from './entity';
import { outboxFeature } from './events';

/**
 * What every service's ORM carries: the base entities, the audit log, the outbox and
 * consumer bookkeeping. `createOrm({ features: kitFeatures, … })`; db.ts itself imports
 * none of these.
 */
export const kitFeatures: readonly OrmFeature[] = [tenantOwnedFeature, directoryFeature, auditFeature, outboxFeature];
