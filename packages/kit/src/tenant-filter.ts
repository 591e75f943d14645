/**
 * The tenant filter, in a module of its own that imports nothing, so the ORM set-up, the
 * audit log, the outbox and the directory can all use it without importing each other.
 */

/** The name of the filter every tenant-owned entity declares (see `tenantFilter`). */
export const TENANT_FILTER = 'tenant';

/**
 * The filter condition for tenant-owned entities. Declared on each entity with
 * `@Filter(tenantFilter)`. It takes a parameter, so MikroORM throws when a request forgot
 * to bind its tenant: a missing tenant is an error, never "all tenants".
 */
export const tenantFilter = {
  name: TENANT_FILTER,
  cond: (args: { tenantId: string }) => ({ tenantId: args.tenantId }),
  default: true,
};
