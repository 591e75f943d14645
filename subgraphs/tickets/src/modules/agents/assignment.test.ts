import { pickAgent, type Candidate } from './assignment';

const agent = (id: string, name: string, skills: string[], openTickets: number, role = 'AGENT'): Candidate => ({ id, name, role, skills, openTickets });

describe('pickAgent', () => {
  const team = [
    agent('a', 'Alex', ['billing', 'general'], 3),
    agent('b', 'Blair', ['technical', 'general'], 1),
    agent('c', 'Casey', ['billing'], 2),
    agent('s', 'Sam', ['billing', 'technical'], 0, 'SUPERVISOR'),
  ];

  it('picks the least-loaded agent whose skills cover the category', () => {
    expect(pickAgent(team, 'billing')!.id).toBe('c');
    expect(pickAgent(team, 'Technical')!.id).toBe('b');
  });

  it('considers every AGENT when the ticket has no category, and never supervisors', () => {
    expect(pickAgent(team, null)!.id).toBe('b');
    expect(pickAgent([agent('s', 'Sam', ['billing'], 0, 'SUPERVISOR')], 'billing')).toBeNull();
  });

  it('breaks ties by name, then id, whatever the input order', () => {
    const tied = [agent('z', 'Zoe', ['x'], 1), agent('y', 'Ann', ['x'], 1), agent('x', 'Ann', ['x'], 1)];
    expect(pickAgent(tied, 'x')!.id).toBe('x');
    expect(pickAgent([...tied].reverse(), 'x')!.id).toBe('x');
  });

  it('answers null when no agent has the skill', () => {
    expect(pickAgent(team, 'legal')).toBeNull();
  });
});
