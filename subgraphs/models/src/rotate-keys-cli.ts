import { createOrm, kitFeatures, loadConfig } from '@switchboard/kit';
import { entities, migrations } from './app';
import { modelsEnv } from './env';
import { keyRing } from './llm/crypto';
import { rotateProviderKeys } from './rotate-keys';

/** `npm run -w @switchboard/models rotate-keys`: re-seal provider API keys under the current key. */
async function main() {
  const config = loadConfig(modelsEnv);
  if (!config.DATABASE_URL) throw new Error('DATABASE_URL is required');
  const orm = await createOrm({ subgraph: 'models', databaseUrl: config.DATABASE_URL, schemaPrefix: config.DB_SCHEMA_PREFIX, entities, migrations, features: kitFeatures });
  try {
    const result = await rotateProviderKeys(orm, keyRing(config.PROVIDER_KEY_ENCRYPTION_KEY, config.PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS));
    process.stdout.write(`re-encrypted ${result.rotated} provider key(s); ${result.unchanged} already under the current key\n`);
  } finally {
    await orm.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
