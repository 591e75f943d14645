// Shared jest settings: every workspace's jest.config.cjs spreads this.
const path = require('node:path');

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  setupFiles: ['reflect-metadata'],
  globalSetup: path.join(__dirname, 'packages/kit/test-support/global-setup.cjs'),
  globalTeardown: path.join(__dirname, 'packages/kit/test-support/global-teardown.cjs'),
  reporters: ['default', path.join(__dirname, 'packages/kit/test-support/count-reporter.cjs')],
  testTimeout: 60_000,
  // A handle a test forgot (a socket in a reconnect loop) must not keep CI waiting for ever.
  forceExit: true,
};
