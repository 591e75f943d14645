import { checkEvents, checkWrites, formatTable, goalsFor, partialDataCheck, recoveryMs, summariseRequests, type FaultResult, type RequestRecord, type WriteRecord } from './ledger';
import { probeAnswered, probeCandidates, probeQuery } from './load';

const write = (key: string, outcome: WriteRecord['outcome']): WriteRecord => ({ kind: 'sendMessage', key, fault: 'redis', outcome, at: 0, attempts: 1 });
const req = (over: Partial<RequestRecord>): RequestRecord => ({ op: 'me', kind: 'read', fault: 'redis', phase: 'during', start: 0, end: 10, ok: true, partial: false, codes: [], ...over });

describe('the write ledger', () => {
  it('finds lost, doubled and refused-but-stored writes; an unanswered one may be there once', () => {
    const stored = new Map([
      ['a', 1],
      ['b', 2],
      ['d', 1],
      ['e', 1],
    ]);
    const check = checkWrites([write('a', 'accepted'), write('b', 'accepted'), write('c', 'accepted'), write('d', 'refused'), write('e', 'unknown'), write('f', 'unknown')], stored);
    expect(check).toEqual({ accepted: 3, refused: 1, unknown: 2, lost: 1, doubled: 1, phantom: 1 });
  });
});

describe('events', () => {
  it('counts on time, late (after the limit, or only by the catch-up query) and never', () => {
    const check = checkEvents(
      [
        { kind: 'messageAdded', key: '1', fault: 'x', sentAt: 1_000, deliveredAt: 1_050, via: 'live' },
        { kind: 'messageAdded', key: '2', fault: 'x', sentAt: 1_000, deliveredAt: 9_000, via: 'live' },
        { kind: 'messageAdded', key: '3', fault: 'x', sentAt: 1_000, deliveredAt: 1_200, via: 'catch-up' },
        { kind: 'escalation', key: '4', fault: 'x', sentAt: 1_000 },
      ],
      5_000,
    );
    expect(check).toEqual({ expected: 4, onTime: 1, late: 2, never: 1, maxDelayMs: 8_000 });
  });
});

describe('requests, recovery and partial data', () => {
  it('groups failures by code and leaves the probe out of the counts but not out of partial answers', () => {
    const s = summariseRequests([
      req({}),
      req({ ok: false, codes: ['UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE'], partial: true }),
      req({ kind: 'write', ok: false, codes: ['NETWORK'] }),
      req({ kind: 'write', ok: false, codes: ['UPSTREAM_UNAVAILABLE'] }),
      req({ kind: 'probe', ok: false, codes: ['X'], partial: true }),
    ]);
    expect(s.reads).toEqual({ ok: 1, failed: 1 });
    expect(s.writes).toEqual({ ok: 0, failed: 2 });
    expect(s.failedByCode).toEqual([['UPSTREAM_UNAVAILABLE', 2], ['NETWORK', 1]]);
    expect(s.partial).toBe(2);
  });

  it('recovery is the end of the first successful probe started after the fault cleared', () => {
    const probes = [req({ start: 900, end: 1_100, ok: true }), req({ start: 1_000, end: 1_300, ok: false }), req({ start: 1_400, end: 2_500, ok: true }), req({ start: 1_500, end: 1_800, ok: true })];
    expect(recoveryMs(probes, 1_000)).toBe(800);
    expect(recoveryMs([req({ start: 1_000, ok: false })], 1_000)).toBeUndefined();
  });

  it('partial data: every surviving subgraph answered in every probe', () => {
    const all = ['tenants', 'tickets', 'models'];
    const p = partialDataCheck(
      [
        { start: 0, responded: true, answered: ['tenants', 'models'] },
        { start: 0, responded: true, answered: ['models'] },
      ],
      all,
      'tickets',
    );
    expect(p.probes).toBe(2);
    expect(p.complete).toBe(1);
    expect([...p.missing]).toEqual([['tenants', 1]]);
  });
});

describe('goals and the table', () => {
  const base: Omit<FaultResult, 'goals'> = {
    fault: 'redis',
    description: 'killed',
    requests: { reads: { ok: 10, failed: 1 }, writes: { ok: 4, failed: 0 }, model: { ok: 1, failed: 0 }, failedByCode: [['NETWORK', 1]], partial: 0 },
    recoveryMs: 1_200,
    writes: { accepted: 4, refused: 0, unknown: 0, lost: 0, doubled: 0, phantom: 0 },
    events: { expected: 2, onTime: 2, late: 0, never: 0, maxDelayMs: 20 },
    notes: [],
  };

  it('applies the Redis goal to the Redis fault only, and says which goals are not met', () => {
    const goals = goalsFor(base, { redisDown: true });
    expect(goals.map((g) => [g.name, g.met])).toEqual([
      ['0 failed reads while Redis is down', false],
      ['recovery <= 5 s', true],
      ['0 lost writes', true],
      ['0 events never delivered', true],
    ]);
    expect(goalsFor(base, {}).map((g) => g.name)).not.toContain('0 failed reads while Redis is down');
    const table = formatTable([{ ...base, goals }, { ...base, fault: 'kill a|b', recoveryMs: undefined, goals: goalsFor({ ...base, recoveryMs: undefined }, {}) }]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| redis | 10 / 1 | 4 / 0 | NETWORK 1 | 0 | 1.2 | 0 / 0 (of 2) | 0 / 0 (of 4) | NOT met: 0 failed reads while Redis is down |');
    expect(lines[3]).toContain('| kill a\\|b |');
    expect(lines[3]).toContain('| never |');
    expect(lines[3]).toContain('NOT met: recovery <= 5 s');
  });
});

describe('the probe', () => {
  const sdl = `
    schema { query: Query }
    directive @join__field(graph: join__Graph) on FIELD_DEFINITION
    directive @join__graph(name: String!, url: String!) on ENUM_VALUE
    enum join__Graph { A @join__graph(name: "alpha", url: "x") B @join__graph(name: "live-chat", url: "y") }
    type Thing { id: ID! }
    type Query {
      one(id: ID!): Thing @join__field(graph: A)
      strict: Thing! @join__field(graph: A)
      loose(first: Int): [Thing!] @join__field(graph: A)
      count: Int @join__field(graph: B)
    }`;

  it('takes, per subgraph, the root fields without required arguments, nullable ones first', () => {
    const candidates = probeCandidates(sdl);
    expect(candidates.map((c) => c.map((p) => `${p.subgraph}.${p.field}`))).toEqual([['alpha.loose', 'alpha.strict'], ['live-chat.count']]);
    const chosen = candidates.map((c) => c[0]!);
    expect(probeQuery(chosen)).toBe('query ChaosProbe { alpha: loose { __typename } live_chat: count  }');
    expect(probeAnswered(chosen, { status: 200, data: { alpha: [], live_chat: null } })).toEqual(['alpha']);
  });
});
