import { Entity, Filter, Index, PrimaryKey, Property, ChangeSetType, type EventSubscriber, type FlushEventArgs } from '@mikro-orm/core';
import { Migration } from '@mikro-orm/migrations';
import { randomUUID } from 'node:crypto';
import { currentScope } from './context';
import type { OrmFeature } from './db';
import { tenantFilter } from './tenant-filter';

/** Properties never copied into the audit log, whatever entity they are on. */
const REDACTED = new Set(['passwordHash', 'secretHash', 'secret', 'password', 'secretSealed', 'previousSecretSealed', 'appSecretSealed']);
/** Bookkeeping tables, not changes anyone made. */
const UNAUDITED = new Set(['OutboxEvent', 'ProcessedEvent']);
/** Bookkeeping that changes on every write and says nothing about it. */
const IGNORED = new Set(['id', 'tenantId', 'updatedAt', 'version']);

export type AuditAction = 'CREATE' | 'UPDATE' | 'DELETE';

/**
 * One row per written entity: who (user or API key), what (entity, id, action), when,
 * and the changed fields with their values before and after. Written in the same flush,
 * so in the same transaction, as the change itself.
 */
@Entity({ tableName: 'audit_log' })
@Filter(tenantFilter)
@Index({ properties: ['tenantId', 'createdAt', 'id'] })
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  tenantId!: string;

  @Property({ type: 'text' })
  actorKind!: 'user' | 'apiKey' | 'system';

  @Property({ type: 'uuid', nullable: true })
  actorId?: string | null;

  @Property({ type: 'text' })
  entity!: string;

  @Property({ type: 'text' })
  entityId!: string;

  @Property({ type: 'text' })
  action!: AuditAction;

  @Property({ type: 'jsonb' })
  changes: Record<string, { from: unknown; to: unknown }> = {};

  @Property({ type: 'text', nullable: true })
  traceId?: string | null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

const ACTIONS: Partial<Record<ChangeSetType, AuditAction>> = {
  [ChangeSetType.CREATE]: 'CREATE',
  [ChangeSetType.UPDATE]: 'UPDATE',
  [ChangeSetType.DELETE]: 'DELETE',
};

function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object' && 'id' in (value as object) && typeof (value as { id: unknown }).id === 'string') {
    return (value as { id: string }).id; // a reference: record its key
  }
  return value;
}

export class AuditSubscriber implements EventSubscriber {
  async onFlush({ uow }: FlushEventArgs): Promise<void> {
    const scope = currentScope();
    const identity = scope?.identity;
    for (const cs of uow.getChangeSets()) {
      if (cs.entity instanceof AuditEntry || UNAUDITED.has(cs.meta.className)) continue;
      const action = ACTIONS[cs.type];
      if (!action) continue;
      const entity = cs.entity as Record<string, unknown>;
      const tenantId = (entity.tenantId as string | undefined) ?? (cs.meta.className === 'Tenant' ? (entity.id as string) : identity?.tenantId);
      if (!tenantId) continue;
      const changes: AuditEntry['changes'] = {};
      if (action !== 'DELETE') {
        const before = (cs.originalEntity ?? {}) as Record<string, unknown>;
        for (const prop of cs.meta.props) {
          const name = prop.name;
          if (!(prop.fieldNames?.[0]! in cs.payload) && !(name in cs.payload)) continue;
          if (IGNORED.has(name)) continue;
          const redacted = REDACTED.has(name);
          changes[name] = {
            from: action === 'CREATE' ? null : redacted ? '[redacted]' : plain(before[name] ?? null),
            to: redacted ? '[redacted]' : plain(entity[name] ?? null),
          };
        }
      }
      const entry = new AuditEntry();
      entry.tenantId = tenantId;
      entry.actorKind = identity?.kind === 'user' ? 'user' : identity?.kind === 'apiKey' ? 'apiKey' : 'system';
      entry.actorId = identity?.kind === 'user' ? identity.userId : identity?.kind === 'apiKey' ? identity.apiKeyId : null;
      entry.entity = cs.meta.className;
      entry.entityId = String(entity[cs.meta.primaryKeys[0]!]);
      entry.action = action;
      entry.changes = changes;
      entry.traceId = scope?.trace.traceId ?? null;
      uow.computeChangeSet(entry);
    }
  }
}

/** The audit log as an ORM plug-in: its entity, and the subscriber that writes it in every flush. */
export const auditFeature: OrmFeature = { name: 'audit', entities: [AuditEntry], subscribers: () => [new AuditSubscriber()] };

/** The audit table, created in the subgraph's own schema: list it first in every subgraph's migrations. */
export class Migration00000000000000AuditLog extends Migration {
  override async up(): Promise<void> {
    const s = this.config.get('schema');
    this.addSql(`create table "${s}"."audit_log" (
      "id" uuid primary key,
      "tenant_id" uuid not null,
      "actor_kind" text not null,
      "actor_id" uuid null,
      "entity" text not null,
      "entity_id" text not null,
      "action" text not null,
      "changes" jsonb not null default '{}',
      "trace_id" text null,
      "created_at" timestamptz not null
    )`);
    this.addSql(`create index "audit_log_tenant_created_idx" on "${s}"."audit_log" ("tenant_id", "created_at", "id")`);
  }
}
