import { TicketStatus } from './ticket.entity';
import { TRANSITIONS, allowedTransitions, canTransition } from './workflow';

const ALL = Object.values(TicketStatus);

describe('ticket workflow', () => {
  it('allows the documented moves and reopening a resolved ticket', () => {
    expect(canTransition(TicketStatus.OPEN, TicketStatus.IN_PROGRESS)).toBe(true);
    expect(canTransition(TicketStatus.RESOLVED, TicketStatus.OPEN)).toBe(true);
    expect(canTransition(TicketStatus.RESOLVED, TicketStatus.CLOSED)).toBe(true);
  });

  it('never moves a closed ticket, nor a ticket to its own status', () => {
    expect(allowedTransitions(TicketStatus.CLOSED)).toEqual([]);
    for (const s of ALL) expect(canTransition(s, s)).toBe(false);
    expect(canTransition(TicketStatus.CLOSED, TicketStatus.IN_PROGRESS)).toBe(false);
  });

  it('gets to CLOSED only through RESOLVED, except straight from OPEN (spam, duplicates)', () => {
    const intoClosed = ALL.filter((s) => TRANSITIONS[s].includes(TicketStatus.CLOSED)).sort();
    expect(intoClosed).toEqual([TicketStatus.OPEN, TicketStatus.RESOLVED].sort());
  });
});
