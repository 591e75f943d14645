import type { EntityManager } from '@switchboard/kit';
import { randomUUID } from 'node:crypto';
import { isUuid } from '../users/inputs';
import { Tenant } from '../tenants/tenant.entity';
import { SECURITY_EVENT_KINDS, SIGNALS, SUBJECT_KINDS, SecurityEvent } from './security-event.entity';

const oneOf = <T extends string>(list: readonly T[], v: unknown): v is T => typeof v === 'string' && (list as readonly string[]).includes(v);

/**
 * Records what the gateway reports on `/internal/security-events` (service identity only).
 * Returns false when the report is malformed or names no tenant of ours.
 */
export async function recordSecurityEvent(em: EntityManager, body: Record<string, unknown> | undefined): Promise<boolean> {
  const b = body ?? {};
  const blockedUntil = typeof b.blockedUntil === 'string' ? new Date(b.blockedUntil) : undefined;
  if (
    typeof b.tenantId !== 'string' ||
    !isUuid(b.tenantId) ||
    !oneOf(SECURITY_EVENT_KINDS, b.kind) ||
    !oneOf(SUBJECT_KINDS, b.subjectKind) ||
    typeof b.subjectId !== 'string' ||
    b.subjectId.length > 200 ||
    !oneOf(SIGNALS, b.reason) ||
    typeof b.score !== 'number' ||
    !Number.isFinite(b.score) ||
    !blockedUntil ||
    Number.isNaN(blockedUntil.getTime())
  ) {
    return false;
  }
  const tenant = await em.findOne(Tenant, b.tenantId as string, { filters: false });
  if (!tenant) return false;
  // A plain insert: the event is the record (no audit-log row for it).
  await em.insert(SecurityEvent, {
    id: randomUUID(),
    tenantId: tenant.id,
    kind: b.kind,
    subjectKind: b.subjectKind,
    subjectId: b.subjectId,
    reason: b.reason,
    score: Math.round(b.score),
    ip: typeof b.ip === 'string' ? b.ip.slice(0, 64) : null,
    blockedUntil,
    createdAt: new Date(),
  } as SecurityEvent);
  return true;
}
