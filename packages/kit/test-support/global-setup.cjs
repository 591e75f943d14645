// Runs once per jest run, outside the test sandbox. With DATABASE_URL it makes sure that
// database exists (tests create their own schemas in it); without, it starts an embedded
// PostgreSQL (PGlite over pglite-socket) for this run and hands its URL to the tests.
// PGlite is started here, not in a test file: it loads code with dynamic import(), which
// jest's module sandbox cannot run.
const { Client } = require('pg');

module.exports = async function globalSetup() {
  if (process.env.DATABASE_URL) {
    const target = new URL(process.env.DATABASE_URL);
    const database = decodeURIComponent(target.pathname.slice(1)) || 'postgres';
    const admin = new URL(target);
    admin.pathname = '/postgres';
    const client = new Client({ connectionString: admin.toString() });
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (!rowCount) await client.query(`create database "${database.replace(/"/g, '""')}"`).catch((e) => {
        if (e.code !== '42P04') throw e; // created meanwhile by another workspace's run
      });
    } finally {
      await client.end();
    }
    process.env.SWITCHBOARD_TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create();
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 200 });
  await server.start();
  globalThis.__SWITCHBOARD_PGLITE__ = { db, server };
  process.env.SWITCHBOARD_TEST_DATABASE_URL = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  process.env.SWITCHBOARD_TEST_EMBEDDED = '1';
};
