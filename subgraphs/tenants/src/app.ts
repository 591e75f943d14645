import {
  createNotifier,
  startSubgraph,
  PRINCIPALS_CHANNEL,
  type Logger,
  type RunningSubgraph,
  type SubgraphDeps,
} from '@switchboard/kit';
import express from 'express';
import type { TenantsContext } from './context';
import type { TenantsConfig } from './env';
import { createLoaders } from './loaders';
import { migrations } from './migrations';
import { ApiKey } from './modules/api-keys/api-key.entity';
import { SecurityEvent } from './modules/audit/security-event.entity';
import { recordSecurityEvent } from './modules/audit/security-events';
import { resolvePrincipal } from './modules/auth/principal';
import { Tenant } from './modules/tenants/tenant.entity';
import { isUuid } from './modules/users/inputs';
import { User } from './modules/users/user.entity';
import { tenantsSchema } from './schema';

export const entities = [Tenant, User, ApiKey, SecurityEvent];
export { migrations };

/** The running subgraph, and the configuration it runs with (its demo seed hashes at the configured cost). */
export type TenantsApp = RunningSubgraph & { config: TenantsConfig };
export type TenantsDeps = SubgraphDeps;

/** The tenants subgraph: database (migrated), schema, HTTP server. What main and tests both use. */
export async function bootstrap(config: TenantsConfig & { DATABASE_URL: string }, deps: TenantsDeps | Logger = {}): Promise<TenantsApp> {
  const given: TenantsDeps = 'info' in deps ? { logger: deps as Logger } : (deps as TenantsDeps);
  const app = await startSubgraph<TenantsContext>({
    name: 'tenants',
    config,
    port: config.TENANTS_PORT,
    deps: given,
    entities,
    migrations,
    cached: ['User'],
    schema: tenantsSchema,
    context: (identity, em, { cache, redis }) => ({
      identity,
      em,
      config,
      cache,
      loaders: createLoaders(cache, em, identity),
      principalChanged: (change) => createNotifier(redis).publish(PRINCIPALS_CHANNEL, change),
    }),
    routes: (app, { orm }) => {
      // The gateway asks here, with its own service identity, who a credential stands for.
      app.post('/internal/principal', express.json({ limit: '4kb' }), async (req, res, next) => {
        try {
          if (res.locals.identity?.kind !== 'service') {
            res.status(403).json({ error: 'service identity required' });
            return;
          }
          const body = req.body as { apiKey?: unknown; userId?: unknown; tenantId?: unknown } | undefined;
          const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
          const userId = str(body?.userId);
          const tenantId = str(body?.tenantId);
          const principal = await resolvePrincipal(orm.em.fork(), {
            apiKey: str(body?.apiKey),
            ...(userId && tenantId && isUuid(userId) && isUuid(tenantId) ? { userId, tenantId } : {}),
          });
          res.status(principal ? 200 : 401).json(principal ?? { error: 'unknown credential' });
        } catch (error) {
          next(error);
        }
      });
      // The gateway reports here, with its service identity, a tenant's key or user it blocked.
      app.post('/internal/security-events', express.json({ limit: '4kb' }), async (req, res, next) => {
        try {
          if (res.locals.identity?.kind !== 'service') {
            res.status(403).json({ error: 'service identity required' });
            return;
          }
          const ok = await recordSecurityEvent(orm.em.fork(), req.body as Record<string, unknown> | undefined);
          res.status(ok ? 201 : 400).json(ok ? { recorded: true } : { error: 'malformed security event' });
        } catch (error) {
          next(error);
        }
      });
    },
  });
  return Object.assign(app, { config });
}

export { seedDemo, demoDirectory, DEMO_PASSWORD, DEMO_TENANTS } from './seed';
export { tenantsEnv, readTenantsConfig, type TenantsConfig } from './env';
export { tenantsSchema } from './schema';
