import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * The benchmark tenant: acme from the demo seed, plus 50 agents and 5,000 tickets written
 * with set-based SQL (seconds, not minutes), SLA policies for every priority, the
 * tickets subgraph's agent directory filled in, and the ticket counter where it belongs.
 */
export async function seedBench(tenantsOrm: MikroORM, ticketsOrm: MikroORM, options: { agents: number; tickets: number }): Promise<{ tenantId: string; ownerId: string; agentIds: string[] }> {
  const t = tenantsOrm.config.get('schema');
  const k = ticketsOrm.config.get('schema');
  const tc = tenantsOrm.em.getConnection();
  const kc = ticketsOrm.em.getConnection();
  const [{ id: tenantId }] = await tc.execute(`select id from "${t}"."tenant" where slug = 'acme'`);
  const [{ id: ownerId, password_hash: hash }] = await tc.execute(`select id, password_hash from "${t}"."user" where email = 'admin@acme.test'`);
  await tc.execute(`update "${t}"."tenant" set seats = 1000, requests_per_minute = 1000000 where id = ?`, [tenantId]);
  await tc.execute(
    `insert into "${t}"."user" (id, tenant_id, email, name, role, skills, password_hash, created_at, updated_at, version)
     select gen_random_uuid(), ?, 'bench.agent' || i || '@acme.test', 'Bench Agent ' || i, 'AGENT',
            case when i % 2 = 0 then '["billing","general"]'::jsonb else '["technical","general"]'::jsonb end, ?, now(), now(), 1
     from generate_series(1, ?) as i`,
    [tenantId, hash, options.agents],
  );
  const agents = await tc.execute(`select id, name, role, skills from "${t}"."user" where tenant_id = ? and email like 'bench.agent%' order by email`, [tenantId]);
  for (const a of agents) {
    await kc.execute(`insert into "${k}"."agent" (id, tenant_id, name, role, skills, updated_at) values (?, ?, ?, ?, ?, now()) on conflict (id) do nothing`, [a.id, tenantId, a.name, a.role, JSON.stringify(a.skills)]);
  }
  for (const [priority, fr, res] of [['LOW', 480, 4320], ['NORMAL', 240, 1440], ['HIGH', 60, 480], ['URGENT', 30, 240]] as const) {
    await kc.execute(
      `insert into "${k}"."sla_policy" (id, tenant_id, priority, first_response_minutes, resolution_minutes, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, ?, now(), now()) on conflict (tenant_id, priority) do nothing`,
      [tenantId, priority, fr, res],
    );
  }
  await kc.execute(`create temporary table bench_agents (n int primary key, id uuid)`);
  await kc.execute(`insert into bench_agents select row_number() over (order by id) - 1, id from "${k}"."agent" where tenant_id = ? and role = 'AGENT'`, [tenantId]);
  const agentCount = (await kc.execute(`select count(*)::int as n from bench_agents`))[0].n as number;
  await kc.execute(
    `insert into "${k}"."ticket" (id, tenant_id, number, subject, description, status, priority, category, tags, requester_name, requester_email,
        assignee_id, created_at, updated_at, sla_policy_id, first_response_due_at, resolution_due_at, sla_state, version)
     select gen_random_uuid(), ?, i, 'Bench ticket ' || i, 'Generated for the benchmark', (array['OPEN','IN_PROGRESS','PENDING','RESOLVED','CLOSED'])[1 + i % 5],
            p.priority, (array['billing','technical','general'])[1 + i % 3], '[]'::jsonb, 'Customer ' || i, 'customer' || i || '@example.com',
            a.id, now() - (i || ' minutes')::interval, now(), p.id,
            now() - (i || ' minutes')::interval + (p.first_response_minutes || ' minutes')::interval,
            now() - (i || ' minutes')::interval + (p.resolution_minutes || ' minutes')::interval, 'ON_TRACK', 1
     from generate_series(1, ?) as i
     join bench_agents a on a.n = i % ?
     join "${k}"."sla_policy" p on p.tenant_id = ? and p.priority = (array['LOW','NORMAL','HIGH','URGENT'])[1 + i % 4]`,
    [tenantId, options.tickets, agentCount, tenantId],
  );
  await kc.execute(
    `insert into "${k}"."ticket_counter" (tenant_id, last_number) values (?, ?) on conflict (tenant_id) do update set last_number = excluded.last_number`,
    [tenantId, options.tickets],
  );
  await kc.execute(`drop table bench_agents`);
  await kc.execute(`analyze "${k}"."ticket"`);
  return { tenantId, ownerId, agentIds: agents.map((a) => String(a.id)) };
}
