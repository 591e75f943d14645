// Runs TypeScript sources directly: `node -r ./scripts/register.cjs file.ts`.
// swc, not tsc, so start-up stays fast; it keeps decorator metadata, which
// type-graphql and MikroORM read at run time. Type-checking is the build's job.
const { transformSync } = require('@swc/core');
const Module = require('node:module');
const fs = require('node:fs');

require('reflect-metadata');

const options = (filename) => ({
  filename,
  sourceMaps: 'inline',
  module: { type: 'commonjs' },
  jsc: {
    target: 'es2022',
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    keepClassNames: true,
  },
});

Module._extensions['.ts'] = function compileTs(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, options(filename));
  module._compile(code, filename);
};

process.setSourceMapsEnabled?.(true);
