/** An agent as auto-assignment sees them. */
export interface Candidate {
  id: string;
  name: string;
  role: string;
  skills: readonly string[];
  /** Open tickets (OPEN, IN_PROGRESS, PENDING) assigned to them now. */
  openTickets: number;
}

/**
 * The least-loaded AGENT whose skills cover `category` (any AGENT when the ticket has no
 * category). Ties go to the name, then the id, so the same state always picks the same agent.
 * Null when nobody fits.
 */
export function pickAgent(candidates: readonly Candidate[], category: string | null | undefined): Candidate | null {
  const needed = category?.trim().toLowerCase();
  const eligible = candidates.filter((c) => c.role === 'AGENT' && (!needed || c.skills.includes(needed)));
  if (!eligible.length) return null;
  return [...eligible].sort((a, b) => a.openTickets - b.openTickets || a.name.localeCompare(b.name) || a.id.localeCompare(b.id))[0]!;
}
