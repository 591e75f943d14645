import { defineSubgraph } from '@switchboard/kit';
import { bootstrap } from './app';
import { tenantsEnv } from './env';
import { tenantsSchema } from './schema';
import { DEMO_PASSWORD, DEMO_TENANTS, demoDirectory, seedDemo } from './seed';

/** The tenants subgraph, as the registry knows it (see packages/kit/src/registry.ts). */
export const subgraph = defineSubgraph({
  name: 'tenants',
  description: 'tenants, users, roles, API keys, plans and quotas, login, audit log',
  port: 4001,
  env: tenantsEnv,
  schema: tenantsSchema,
  bootstrap: (config, deps) => bootstrap(config, deps),
  async seed(app) {
    const { seeded } = await seedDemo(app.orm, { scryptN: app.config.PASSWORD_SCRYPT_N });
    return {
      seeded,
      directory: await demoDirectory(app.orm),
      banner: [
        `Demo logins (demo mode only), password "${DEMO_PASSWORD}":`,
        ...DEMO_TENANTS.flatMap((t) => t.users.map((u) => `  ${u.email.padEnd(24)} ${u.role.padEnd(10)} ${t.slug}`)),
        '',
        'Try:',
        `  curl -s {graphql} -H 'content-type: application/json' \\`,
        `    -d '{"query":"mutation { login(email: \\"admin@acme.test\\", password: \\"${DEMO_PASSWORD}\\") { token } }"}'`,
      ],
    };
  },
  // Tests hash at 2^14 (each test stack seeds seven users); production refuses less than 2^17.
  testEnv: { PASSWORD_SCRYPT_N: String(2 ** 14) },
  deploy: { needs: ['postgres'], env: { SEED_DEMO: 'true' } },
});
