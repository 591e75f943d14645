import { ConfigError, env, parseConfig } from './config';

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
  it('have a development default that production refuses', () => {
    const spec = { NODE_ENV: env.oneOf(['development', 'production'] as const, 'development'), SECRET: env.secret('dev-default-secret-value') };
    expect(parseConfig(spec, {}).SECRET).toBe('dev-default-secret-value');
    expect(() => parseConfig(spec, { NODE_ENV: 'production' })).toThrow('SECRET must be set when NODE_ENV=production');
    expect(parseConfig(spec, { NODE_ENV: 'production', SECRET: 'a-real-production-secret' }).SECRET).toBe('a-real-production-secret');
  });
});
