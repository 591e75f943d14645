import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@switchboard/kit';
import { TEST_SECRETS, testDatabase } from '@switchboard/kit/src/testing';
import { bootstrap as startTenants, readTenantsConfig, seedDemo } from '@switchboard/tenants';
import { bootstrap as startGateway, readGatewayConfig } from '../src/app';
import { post } from './stack';

/** A stand-in OTLP/HTTP collector: records every span it is sent. */
async function collector() {
  const spans: { name: string; traceId: string; service: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const payload = JSON.parse(body);
      for (const rs of payload.resourceSpans ?? []) {
        const service = rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value.stringValue;
        for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) spans.push({ name: s.name, traceId: s.traceId, service });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { spans, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
}

describe('OpenTelemetry', () => {
  it('exports spans of one trace from the gateway and the subgraph when an OTLP endpoint is set', async () => {
    const otlp = await collector();
    const db = testDatabase();
    const silent = createLogger({}, 'silent');
    const tenants = await startTenants(
      { ...readTenantsConfig({ ...TEST_SECRETS, PASSWORD_SCRYPT_N: String(2 ** 14), TENANTS_PORT: '0', HOST: '127.0.0.1', DB_SCHEMA_PREFIX: db.schemaPrefix, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }), DATABASE_URL: db.url },
      silent,
    );
    await seedDemo(tenants.orm, { scryptN: 2 ** 14 });
    const gateway = await startGateway(readGatewayConfig({ ...TEST_SECRETS, GATEWAY_PORT: '0', HOST: '127.0.0.1', TENANTS_URL: tenants.url, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }), silent);
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    try {
      const res = await post(gateway.url, { query: 'mutation { login(email: "admin@acme.test", password: "switchboard-demo") { user { email } } }' }, {
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      });
      expect(res.data.login.user.email).toBe('admin@acme.test');
    } finally {
      await gateway.close(); // flushes the exporter
      await tenants.close();
      await db.drop();
      await otlp.close();
    }
    const inTrace = otlp.spans.filter((s) => s.traceId === traceId);
    const names = inTrace.map((s) => s.name);
    expect(names).toContain('gateway POST /graphql');
    expect(names).toContain('tenants POST /graphql');
    expect(names.some((n) => n.startsWith('gateway.'))).toBe(true); // @apollo/gateway's own plan/fetch spans
  });
});
