import { authorize, requireTenant } from './auth';
import type { Identity } from './identity';

const base = { roles: [] as Identity['roles'], scopes: [] as string[], exp: 0 };
const rule = { roles: ['AGENT'] as Identity['roles'], scope: 'knowledge:read' };

describe('authorize', () => {
  it('lets a service acting for a tenant through by scope, like an API key', () => {
    const service: Identity = { ...base, kind: 'service', service: 'assistants', tenantId: 't1', scopes: ['knowledge:read'] };
    expect(authorize(service, rule).tenantId).toBe('t1');
  });

  it('refuses a service without the scope, or where only people may act', () => {
    const service: Identity = { ...base, kind: 'service', service: 'assistants', tenantId: 't1', scopes: ['models:complete'] };
    expect(() => authorize(service, rule)).toThrow(/lacks the scope knowledge:read/);
    expect(() => authorize({ ...service, scopes: ['knowledge:read'] }, { roles: ['OWNER'] })).toThrow(/Only people/);
  });

  it('refuses a service identity without a tenant (the gateway’s own calls) as unauthenticated', () => {
    expect(() => requireTenant({ ...base, kind: 'service' })).toThrow(/Authentication required/);
  });

  it('still holds users to roles and keys to scopes', () => {
    expect(authorize({ ...base, kind: 'user', tenantId: 't', roles: ['AGENT'] }, rule).tenantId).toBe('t');
    expect(() => authorize({ ...base, kind: 'user', tenantId: 't', roles: ['ANALYST'] }, rule)).toThrow(/roles/);
    expect(() => authorize({ ...base, kind: 'apiKey', tenantId: 't', scopes: ['tickets:read'] }, rule)).toThrow(/lacks the scope/);
  });
});
