import { createMetrics, runInScope, type RequestScope } from '@switchboard/kit';
import { testDatabase } from '@switchboard/kit/src/testing';
import { randomBytes } from 'node:crypto';
import { createMongoStore, createPostgresStore } from '../src';
import { storeContract, type StoredEvent } from './store-contract';

// PostgreSQL always: the run's database (DATABASE_URL, or the embedded one jest's global
// setup started), in schemas of this file's own prefix, dropped at the end.
const db = testDatabase();

storeContract({
  name: 'PostgreSQL',
  outbox: true,
  // The ORM's statement counter (db_statements_total) also counts into the request scope.
  async countStatements(fn) {
    const scope: RequestScope = { requestId: 'contract', trace: { traceId: '0'.repeat(32), spanId: '0'.repeat(16), flags: '00' }, sqlStatements: 0 };
    await runInScope(scope, fn);
    return scope.sqlStatements ?? 0;
  },
  async setup() {
    const store = await createPostgresStore({ databaseUrl: db.url, schemaPrefix: db.schemaPrefix, metrics: createMetrics('conversations-contract') });
    const schema = store.orm.config.get('schema') as string;
    const sql = <T extends object[]>(query: string, params: unknown[] = []) => store.orm.em.fork().getConnection().execute<T>(query, params);
    return {
      store,
      async events(tenantId) {
        const rows = await sql<{ type: string; data: Record<string, unknown> }[]>(
          `select "type", "data" from "${schema}"."outbox" where "tenant_id" = ? order by "occurred_at", "id"`,
          [tenantId],
        );
        return rows.map((r): StoredEvent => ({ type: r.type, data: r.data }));
      },
      async refuse(what) {
        // A check constraint (not validated against existing rows) makes the database refuse
        // the write inside the store's transaction, as a crash or a bad row would.
        const [table, check] = what === 'message' ? ['message', `"text" <> 'refuse-me'`] : ['outbox', `"type" <> 'message.sent'`];
        const name = `contract_refuse_${what}`;
        await sql<object[]>(`alter table "${schema}"."${table}" add constraint "${name}" check (${check}) not valid`);
        return async () => {
          await sql<object[]>(`alter table "${schema}"."${table}" drop constraint "${name}"`);
        };
      },
      async close() {
        await store.close();
        await db.drop();
      },
    };
  },
});

// MongoDB when reachable: a database of its own, dropped at the end.
const mongoUrl = process.env.MONGO_URL;

storeContract({
  name: 'MongoDB',
  outbox: true,
  skip: mongoUrl ? undefined : 'MONGO_URL is not set (it needs a replica set: the store writes in transactions)',
  async setup() {
    const store = await createMongoStore({ url: mongoUrl!, dbName: `switchboard_contract_${randomBytes(5).toString('hex')}` });
    return {
      store,
      async events(tenantId) {
        const docs = await store.outbox.find({ tenantId }).sort({ occurredAt: 1, _id: 1 }).toArray();
        return docs.map((d): StoredEvent => ({ type: d.type, data: d.data }));
      },
      async refuse(what) {
        // A collection validator makes the server refuse the insert inside the store's transaction.
        const [collection, validator] = what === 'message' ? ['messages', { text: { $ne: 'refuse-me' } }] : ['outbox', { type: { $ne: 'message.sent' } }];
        await store.db.createCollection(collection).catch(() => {});
        await store.db.command({ collMod: collection, validator, validationLevel: 'strict', validationAction: 'error' });
        return async () => {
          await store.db.command({ collMod: collection, validator: {} });
        };
      },
      async close() {
        await store.db.dropDatabase();
        await store.close();
      },
    };
  },
});
