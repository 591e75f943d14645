import { buildFederatedSchema, PageInfo, type SubgraphSchema } from '@switchboard/kit';
import { ApiKeyResolver } from './modules/api-keys/api-key.resolver';
import { AuditResolver } from './modules/audit/audit.resolver';
import { LoginResolver } from './modules/auth/login.resolver';
import { TenantResolver, tenantReference } from './modules/tenants/tenant.resolver';
import { UserResolver, userReference } from './modules/users/user.resolver';

let built: Promise<SubgraphSchema> | undefined;

/** The tenants subgraph schema (built once per process: type-graphql's metadata is global). */
export function tenantsSchema(): Promise<SubgraphSchema> {
  built ??= buildFederatedSchema({
    resolvers: [TenantResolver, UserResolver, ApiKeyResolver, LoginResolver, AuditResolver],
    orphanedTypes: [PageInfo],
    references: { ...tenantReference, ...userReference },
  });
  return built;
}
