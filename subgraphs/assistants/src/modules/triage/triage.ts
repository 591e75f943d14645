import type { MikroORM } from '@mikro-orm/postgresql';
import { AppError, idempotent, TENANT_FILTER, type DomainEvent, type EntityManager, type EventConsumer, type Logger } from '@switchboard/kit';
import type { Platform } from '../../clients';
import type { AssistantsConfig } from '../../env';
import { TicketTriage, TriageModelRow } from '../assistants/entities';
import { classify, trainTriage, type LabelledTicket, type TriageModel } from './classifier';

export const TRIAGE_GROUP = 'assistants-triage';
const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'];
/** Enough examples per category to train on (fewer: every ticket goes to the model). */
const MIN_TRAINING_TICKETS = 10;
const TRAINING_CAP = 2_000;

export interface TriageDeps {
  orm: MikroORM;
  platform: Platform;
  config: AssistantsConfig;
  log: Logger;
}

const TICKET = `query($id: ID!) { ticket(id: $id) { id subject description category priority version } }`;
const PAGE = `query($after: String) { tickets(first: 100, after: $after) { nodes { subject description category priority } pageInfo { hasNextPage endCursor } } }`;
const UPDATE = `mutation($id: ID!, $v: Int, $input: UpdateTicketInput!) { updateTicket(id: $id, expectedVersion: $v, input: $input) { id category priority } }`;

/** The tenant's categorized tickets, newest first, up to TRAINING_CAP. */
async function labelledTickets(platform: Platform, tenantId: string): Promise<LabelledTicket[]> {
  const out: LabelledTicket[] = [];
  let after: string | null = null;
  while (out.length < TRAINING_CAP) {
    const page: { tickets: { nodes: (Omit<LabelledTicket, 'category'> & { category: string | null })[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } =
      await platform.tickets(tenantId, PAGE, { after });
    for (const t of page.tickets.nodes) if (t.category) out.push(t as LabelledTicket);
    if (!page.tickets.pageInfo.hasNextPage || !page.tickets.pageInfo.endCursor) break;
    after = page.tickets.pageInfo.endCursor;
  }
  return out;
}

/** The tenant's classifier: trained now when there is none or enough new labels arrived since. */
async function modelFor(deps: TriageDeps, em: EntityManager, tenantId: string): Promise<TriageModel | null> {
  const row = await em.findOne(TriageModelRow, { tenantId });
  if (row && row.labelledSince < deps.config.TRIAGE_RETRAIN_EVERY) return row.trainedOn >= MIN_TRAINING_TICKETS ? (row.model as TriageModel) : null;
  const tickets = await labelledTickets(deps.platform, tenantId);
  const model = trainTriage(tickets);
  await em.upsert(TriageModelRow, { tenantId, model, trainedOn: tickets.length, labelledSince: 0, trainedAt: new Date() });
  deps.log.info('triage classifier trained', { tenantId, tickets: tickets.length });
  return tickets.length >= MIN_TRAINING_TICKETS ? model : null;
}

/** Asks the routed model to pick one of the tenant's categories; null when its answer names none. */
async function askModel(deps: TriageDeps, tenantId: string, ticket: { subject: string; description: string }, categories: string[]): Promise<string | null> {
  if (!categories.length) return null;
  const completion = await deps.platform.models.complete(
    tenantId,
    {
      messages: [
        { role: 'SYSTEM', content: `Classify the support ticket into exactly one category. Categories: ${categories.join(', ')}. Answer with the category name only.` },
        ...categories.map((c) => ({ role: 'SYSTEM' as const, content: `Category ${c}.` })),
        { role: 'USER', content: `${ticket.subject}\n${ticket.description}` },
      ],
      maxTokens: 20,
      temperature: 0,
    },
    'triage',
  );
  const answer = completion.text.toLowerCase();
  return categories.find((c) => answer.includes(c.toLowerCase())) ?? null;
}

/** A labelled ticket (created with a category, or a person setting one) counts toward retraining; the triage's own update does not. */
async function countLabel(deps: TriageDeps, em: EntityManager, event: DomainEvent): Promise<void> {
  const d = event.data as { id?: string };
  if (event.type === 'ticket.updated' && d.id && (await em.count(TicketTriage, { ticketId: d.id }))) return;
  await em.getConnection().execute(
    `insert into "${deps.orm.config.get('schema')}"."triage_model" ("tenant_id", "model", "trained_on", "labelled_since", "trained_at")
     values (?, '{}'::jsonb, 0, ${deps.config.TRIAGE_RETRAIN_EVERY}, now()) on conflict ("tenant_id") do update set "labelled_since" = "triage_model"."labelled_since" + 1`,
    [event.tenantId],
    'run',
    em.getTransactionContext(),
  );
}

/**
 * Triage of a new ticket without a category: the tenant's classifier decides when it is
 * confident (TRIAGE_MIN_CONFIDENCE), else the routed model is asked; the ticket is then
 * updated through the tickets subgraph's own `updateTicket` (history, audit, events) and the
 * decision recorded as `Ticket.triage`. No transaction is held across the calls to other
 * services (a single-connection embedded database would wait on itself); the decision is
 * recorded once per ticket (a redelivered event finds it and stops; the ticket then has its
 * category, too).
 */
export async function triageTicket(deps: TriageDeps, event: DomainEvent): Promise<void> {
  const tenantId = event.tenantId;
  const d = event.data as { id?: string; category?: string | null };
  if (!d.id || d.category) return;
  const em = deps.orm.em.fork();
  em.setFilterParams(TENANT_FILTER, { tenantId });
  if (await em.count(TicketTriage, { ticketId: d.id, tenantId, applied: true })) return;
  const { ticket } = await deps.platform.tickets<{ ticket: { id: string; subject: string; description: string; category: string | null; priority: string; version: number } }>(tenantId, TICKET, { id: d.id });
  if (ticket.category) return;
  const model = await modelFor(deps, em as unknown as EntityManager, tenantId);
  const guess = model ? classify(model, ticket) : { category: null, priority: null };
  let category = guess.category?.label ?? null;
  let confidence = guess.category?.confidence ?? 0;
  let decidedBy: 'CLASSIFIER' | 'MODEL' = 'CLASSIFIER';
  if (confidence < deps.config.TRIAGE_MIN_CONFIDENCE) {
    try {
      const asked = await askModel(deps, tenantId, ticket, model ? Object.keys(model.category.docs).sort() : []);
      if (asked) [category, decidedBy, confidence] = [asked, 'MODEL', Math.max(confidence, deps.config.TRIAGE_MIN_CONFIDENCE)];
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      deps.log.info('triage model unavailable', { code: error.extensions.code, ticketId: ticket.id });
    }
  }
  const priority = guess.priority && guess.priority.confidence >= deps.config.TRIAGE_MIN_CONFIDENCE && PRIORITIES.includes(guess.priority.label) ? guess.priority.label : null;
  const input: Record<string, string> = {};
  if (category) input.category = category;
  if (priority && priority !== ticket.priority) input.priority = priority;
  // Recorded first, so the ticket.updated our own update causes is known as ours (not a person's label).
  await em.upsert(TicketTriage, { ticketId: ticket.id, tenantId, category, priority: priority ?? ticket.priority, confidence: Math.round(confidence * 1000) / 1000, decidedBy, applied: false, createdAt: new Date() });
  if (!Object.keys(input).length) return;
  try {
    await deps.platform.tickets(tenantId, UPDATE, { id: ticket.id, v: ticket.version, input });
    await em.nativeUpdate(TicketTriage, { ticketId: ticket.id, tenantId }, { applied: true });
  } catch (error) {
    // Someone changed the ticket meanwhile: their edit wins; the suggestion stays recorded (applied: false).
    if (!(error instanceof AppError && error.extensions.code === 'CONFLICT')) throw error;
  }
}

export function consumeTriage(deps: TriageDeps, events: EventConsumer): () => Promise<void> {
  const count = idempotent(deps.orm, TRIAGE_GROUP, (em, event) => countLabel(deps, em, event));
  return events.consume(
    TRIAGE_GROUP,
    ['ticket.created', 'ticket.updated'],
    async (event) => {
      const d = event.data as { category?: string | null; fields?: string[] };
      if ((event.type === 'ticket.created' && d.category) || (event.type === 'ticket.updated' && d.fields?.includes('category'))) return count(event);
      if (event.type === 'ticket.created') return triageTicket(deps, event);
    },
    { maxAttempts: 5 },
  );
}
