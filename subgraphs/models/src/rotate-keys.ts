import type { MikroORM } from '@mikro-orm/postgresql';
import { decryptSecret, encryptSecret, sealedWithCurrent, type KeyRing } from './llm/crypto';
import { ProviderRow } from './modules/catalog/entities';

/**
 * Key rotation: re-seals every provider API key under the current key. Run it after
 * setting a new PROVIDER_KEY_ENCRYPTION_KEY with the old one in
 * PROVIDER_KEY_ENCRYPTION_KEY_PREVIOUS; afterwards the previous key can go. Idempotent:
 * rows already sealed with the current key are left alone. One transaction.
 */
export async function rotateProviderKeys(orm: MikroORM, keys: KeyRing): Promise<{ rotated: number; unchanged: number }> {
  let rotated = 0;
  let unchanged = 0;
  await orm.em.fork().transactional(async (tx) => {
    const rows = await tx.find(ProviderRow, { apiKeySealed: { $ne: null } }, { filters: false, populate: ['apiKeySealed'] });
    for (const row of rows) {
      if (sealedWithCurrent(row.apiKeySealed!, keys)) {
        unchanged += 1;
        continue;
      }
      row.apiKeySealed = encryptSecret(decryptSecret(row.apiKeySealed!, keys), keys);
      row.updatedAt = new Date();
      rotated += 1;
    }
  });
  return { rotated, unchanged };
}
