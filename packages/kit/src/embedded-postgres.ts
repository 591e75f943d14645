import { mkdirSync } from 'node:fs';

export interface EmbeddedPostgres {
  /** A `postgres://` URL any PostgreSQL client can use. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PostgreSQL in this process: PGlite (PostgreSQL compiled to WASM) behind pglite-socket,
 * so MikroORM and every other client speak the real wire protocol to it.
 * `dataDir` keeps the data between runs; without it the database lives in memory.
 *
 * pglite-socket serves ONE Postgres session to all its connections: inside a transaction,
 * use only that transaction's EntityManager (a second connection waits for it forever).
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number; host?: string; maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({
    db,
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    maxConnections: options.maxConnections ?? 100,
  });
  await server.start();
  const url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  return {
    url,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
