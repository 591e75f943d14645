import { commonEnv, env, parseConfig, type Config } from '@switchboard/kit';

export const tenantsEnv = {
  ...commonEnv,
  TENANTS_PORT: env.port(4001),
  /** Signs the JWTs that `login` issues; the gateway verifies them with the same secret. */
  JWT_SECRET: env.secret('switchboard-dev-jwt-secret-change-me'),
  JWT_TTL_SECONDS: env.int({ default: 12 * 3600, min: 60 }),
  /**
   * scrypt cost N for new password hashes (a power of two). Logins rehash weaker stored
   * hashes to it. Lower it only explicitly, for tests; production refuses less than 2^17.
   */
  PASSWORD_SCRYPT_N: env.int({ default: 2 ** 17, min: 2 ** 10, max: 2 ** 20, powerOfTwo: true, productionMin: 2 ** 17 }),
  /** Seed the demo tenants (acme, globex) at start if they are missing. Demo only. */
  SEED_DEMO: env.bool(false),
};

export type TenantsConfig = Config<typeof tenantsEnv>;

export function readTenantsConfig(source: Record<string, string | undefined> = process.env): TenantsConfig {
  return parseConfig(tenantsEnv, source);
}
