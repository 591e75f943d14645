import { ConfigError, commonEnv, env, parseConfig } from './config';

describe('parseConfig', () => {
  const spec = {
    PORT: env.port(4001),
    DATABASE_URL: env.optionalUrl({ protocols: ['postgres'] }),
    SECRET: env.string({ minLength: 16 }),
    DEBUG: env.bool(false),
    MODE: env.oneOf(['a', 'b'] as const, 'a'),
  };

  it('applies defaults and types values', () => {
    expect(parseConfig(spec, { SECRET: 'x'.repeat(16), DEBUG: 'yes' })).toEqual({
      PORT: 4001,
      DATABASE_URL: undefined,
      SECRET: 'x'.repeat(16),
      DEBUG: true,
      MODE: 'a',
    });
  });

  it('reports every problem at once, naming each variable', () => {
    let error: unknown;
    try {
      parseConfig(spec, { PORT: '70000', DATABASE_URL: 'mysql://x', SECRET: 'short', DEBUG: 'maybe', MODE: 'c' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(5);
    for (const name of ['PORT', 'DATABASE_URL', 'SECRET', 'DEBUG', 'MODE']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });
});

describe('secrets', () => {
  const spec = { NODE_ENV: env.oneOf(['development', 'production'] as const, 'development'), SECRET: env.secret('dev-default-secret-value') };

  it('fall back to the published development value only in demo mode', () => {
    expect(parseConfig(spec, { DEMO: 'true' }).SECRET).toBe('dev-default-secret-value');
    expect(parseConfig(spec, { SEED_DEMO: '1' }).SECRET).toBe('dev-default-secret-value');
    expect(() => parseConfig(spec, {})).toThrow(/SECRET is required: set it to a random value of at least 16 characters.*only in demo mode/);
    expect(() => parseConfig(spec, { DEMO: 'false' })).toThrow('SECRET is required');
  });

  it('refuse the published value outside demo mode, and always in production', () => {
    expect(() => parseConfig(spec, { SECRET: 'dev-default-secret-value' })).toThrow('SECRET is the published development value');
    expect(() => parseConfig(spec, { NODE_ENV: 'production', DEMO: 'true' })).toThrow('SECRET must be set when NODE_ENV=production');
    expect(() => parseConfig(spec, { NODE_ENV: 'production', DEMO: 'true', SECRET: 'dev-default-secret-value' })).toThrow('published development value');
    expect(parseConfig(spec, { NODE_ENV: 'production', SECRET: 'a-real-production-secret' }).SECRET).toBe('a-real-production-secret');
    expect(parseConfig(spec, { SECRET: 'a-real-secret-of-mine' }).SECRET).toBe('a-real-secret-of-mine');
    expect(() => parseConfig(spec, { SECRET: 'short' })).toThrow('SECRET must be at least 16 characters');
  });
});

describe('commonEnv', () => {
  it('listens on loopback unless HOST says otherwise', () => {
    expect(parseConfig(commonEnv, { INTERNAL_SECRET: 'x'.repeat(16) }).HOST).toBe('127.0.0.1');
    expect(parseConfig(commonEnv, { INTERNAL_SECRET: 'x'.repeat(16), HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });

  it('keeps the identity replay check on in production', () => {
    expect(parseConfig(commonEnv, { INTERNAL_SECRET: 'x'.repeat(16) }).IDENTITY_REPLAY_CHECK).toBe(true);
    expect(parseConfig(commonEnv, { INTERNAL_SECRET: 'x'.repeat(16), IDENTITY_REPLAY_CHECK: 'false' }).IDENTITY_REPLAY_CHECK).toBe(false);
    expect(() => parseConfig(commonEnv, { NODE_ENV: 'production', INTERNAL_SECRET: 'x'.repeat(16), IDENTITY_REPLAY_CHECK: 'false' })).toThrow(
      'IDENTITY_REPLAY_CHECK must be true when NODE_ENV=production',
    );
  });
});
