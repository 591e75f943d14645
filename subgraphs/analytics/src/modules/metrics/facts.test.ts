import type { DomainEvent } from '@switchboard/kit';
import { conversationContributions, diffContributions, foldConversation, foldTicket, ticketContributions, type Contribution, type ConversationFact, type TicketFact } from './facts';
import { bucketStart, buckets } from './query';

const at = (hm: string) => `2026-03-02T${hm}Z`;
const ev = (type: string, hm: string, data: Record<string, unknown>, id = `${type}-${hm}`): DomainEvent => ({ id, type, tenantId: 't', occurredAt: at(hm), data });
const sorted = (cs: Contribution[]) => cs.map((c) => `${c.m} ${c.b.slice(11, 13)} ${c.d.channel}/${c.d.agent}/${c.d.priority} ${c.n} ${c.v}`).sort();

const conversation: DomainEvent[] = [
  ev('conversation.started', '09:00:00', { id: 'c', channel: 'WEB', status: 'BOT', priority: 'NORMAL', assigneeId: null }),
  ev('message.sent', '09:10:00', { conversationId: 'c', authorKind: 'BOT', createdAt: at('09:10:00') }),
  ev('conversation.updated', '09:30:00', { id: 'c', changes: { status: { from: 'BOT', to: 'QUEUED' } } }),
  ev('conversation.updated', '10:15:00', { id: 'c', changes: { status: { from: 'QUEUED', to: 'ASSIGNED' }, assigneeId: { from: null, to: 'a1' } } }),
  ev('conversation.updated', '11:00:00', { id: 'c', changes: { status: { from: 'ASSIGNED', to: 'RESOLVED' } } }),
  ev('conversation.rated', '11:05:00', { id: 'c', score: 2 }),
  ev('conversation.rated', '11:06:00', { id: 'c', score: 4 }),
];

describe('conversation facts', () => {
  const fold = (events: DomainEvent[]) => events.reduce<ConversationFact>((s, e) => foldConversation(s, e), {});

  it('contribute the same in every order of their events', () => {
    const forward = sorted(conversationContributions(fold(conversation)));
    expect(forward).toEqual([
      'CONVERSATIONS_RESOLVED 11 WEB/a1/NORMAL 1 0',
      'CONVERSATIONS_STARTED 09 WEB/a1/NORMAL 1 0',
      'CSAT 11 WEB/a1/NORMAL 1 4',
      'FIRST_RESPONSE 09 WEB/a1/NORMAL 1 600',
      'HANDOFFS 09 WEB/a1/NORMAL 1 0',
      'RESOLUTION 11 WEB/a1/NORMAL 1 7200',
    ]);
    expect(sorted(conversationContributions(fold([...conversation].reverse())))).toEqual(forward);
    const shuffled = [conversation[4]!, conversation[0]!, conversation[6]!, conversation[2]!, conversation[5]!, conversation[1]!, conversation[3]!];
    expect(sorted(conversationContributions(fold(shuffled)))).toEqual(forward);
  });

  it('a reopened conversation is not resolved; resolving it again counts its last resolution', () => {
    const reopened = fold([...conversation, ev('conversation.updated', '12:00:00', { id: 'c', changes: { status: { from: 'RESOLVED', to: 'ASSIGNED' } } })]);
    expect(sorted(conversationContributions(reopened)).filter((c) => c.startsWith('CONVERSATIONS_RESOLVED'))).toEqual([]);
    const again = foldConversation(reopened, ev('conversation.updated', '13:00:00', { id: 'c', changes: { status: { from: 'ASSIGNED', to: 'RESOLVED' } } }));
    expect(sorted(conversationContributions(again)).filter((c) => c.startsWith('CONVERSATIONS_RESOLVED'))).toEqual(['CONVERSATIONS_RESOLVED 13 WEB/a1/NORMAL 1 0']);
  });

  it('a bot-only resolution is contained', () => {
    const bot = fold([conversation[0]!, conversation[1]!, ev('conversation.updated', '09:20:00', { id: 'c', changes: { status: { from: 'BOT', to: 'RESOLVED' } } })]);
    expect(sorted(conversationContributions(bot)).filter((c) => c.startsWith('BOT_CONTAINED'))).toEqual(['BOT_CONTAINED 09 WEB//NORMAL 1 0']);
  });
});

describe('ticket facts', () => {
  const events = [
    ev('ticket.created', '09:30:00', { id: 'k', priority: 'HIGH', resolutionDueAt: at('12:00:00') }),
    ev('ticket.status_changed', '10:00:00', { id: 'k', from: 'OPEN', to: 'RESOLVED' }),
    ev('ticket.status_changed', '11:00:00', { id: 'k', from: 'RESOLVED', to: 'OPEN' }),
    ev('ticket.status_changed', '13:00:00', { id: 'k', from: 'OPEN', to: 'CLOSED' }),
  ];
  const fold = (es: DomainEvent[]) => es.reduce<TicketFact>((s, e) => foldTicket(s, e), {});

  it('backlog moves with every open and close; resolved late misses its SLA; any order', () => {
    const forward = sorted(ticketContributions(fold(events)));
    expect(forward).toEqual([
      'BACKLOG 09 //HIGH 1 0',
      'BACKLOG 10 //HIGH -1 0',
      'BACKLOG 11 //HIGH 1 0',
      'BACKLOG 13 //HIGH -1 0',
      'TICKETS_CREATED 09 //HIGH 1 0',
      'TICKETS_RESOLVED 13 //HIGH 1 0',
    ]);
    expect(sorted(ticketContributions(fold([...events].reverse())))).toEqual(forward);
    expect(ticketContributions(fold(events.slice(1)))).toEqual([]); // not created yet: nothing
  });
});

describe('diffContributions', () => {
  it('nets counters and replaces only the samples that changed', () => {
    const d = { channel: 'WEB', agent: '', assistant: '', model: '', priority: '' };
    const before: Contribution[] = [
      { m: 'CONVERSATIONS_STARTED', b: at('09:00:00'), d, n: 1, v: 0 },
      { m: 'FIRST_RESPONSE', b: at('09:00:00'), d, n: 1, v: 30, s: true },
    ];
    const after: Contribution[] = [
      { m: 'CONVERSATIONS_STARTED', b: at('09:00:00'), d, n: 1, v: 0 },
      { m: 'FIRST_RESPONSE', b: at('09:00:00'), d, n: 1, v: 20, s: true },
      { m: 'CSAT', b: at('10:00:00'), d, n: 1, v: 5 },
    ];
    const diff = diffContributions(before, after);
    expect(diff.counters.map((c) => [c.m, c.n, c.v])).toEqual([['CSAT', 1, 5]]);
    expect(diff.removeSamples.map((c) => c.v)).toEqual([30]);
    expect(diff.addSamples.map((c) => c.v)).toEqual([20]);
    expect(diffContributions(after, after)).toEqual({ counters: [], removeSamples: [], addSamples: [] });
  });
});

describe('buckets', () => {
  it('rounds from down, weeks start on Monday, months by calendar', () => {
    expect(bucketStart(new Date('2026-03-04T10:30:00Z'), 'WEEK').toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(bucketStart(new Date('2026-03-01T10:30:00Z'), 'WEEK').toISOString()).toBe('2026-02-23T00:00:00.000Z');
    expect(buckets(new Date('2026-01-15T00:00:00Z'), new Date('2026-03-01T00:00:00Z'), 'MONTH').map((b) => b.toISOString().slice(0, 7))).toEqual(['2026-01', '2026-02']);
    expect(buckets(new Date('2026-03-02T09:30:00Z'), new Date('2026-03-02T12:00:00Z'), 'HOUR')).toHaveLength(3);
  });
});
