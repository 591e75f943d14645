import { AppError, type Logger } from '@switchboard/kit';
import express, { type Express, type Response } from 'express';
import type { LlmGateway } from './llm/gateway';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ASSISTANT = /^[a-z][a-z0-9_.-]{0,39}$/;

/** HTTP status of an error code on the internal API. */
const STATUS: Record<string, number> = { BAD_USER_INPUT: 400, FORBIDDEN: 403, QUOTA_EXCEEDED: 402, UPSTREAM_UNAVAILABLE: 503 };

/**
 * The internal API other subgraphs call on behalf of a tenant (knowledge, the assistant,
 * triage). Like tenants' /internal/principal it sits behind the subgraph server's identity
 * check: a header signed with the internal secret for audience `models`, once, kind
 * `service`. The same routing, cache, budget, masking and usage as `complete`.
 */
export function internalRoutes(app: Express, llm: LlmGateway, log: Logger): void {
  const guard = (body: unknown, res: Response): { tenantId: string; assistant: string } | null => {
    if (res.locals.identity?.kind !== 'service') {
      res.status(403).json({ error: { code: 'FORBIDDEN', message: 'service identity required' } });
      return null;
    }
    const b = body as { tenantId?: unknown; assistant?: unknown } | undefined;
    if (typeof b?.tenantId !== 'string' || !UUID.test(b.tenantId)) {
      res.status(400).json({ error: { code: 'BAD_USER_INPUT', message: 'tenantId must be a UUID', field: 'tenantId' } });
      return null;
    }
    const assistant = typeof b.assistant === 'string' && ASSISTANT.test(b.assistant) ? b.assistant : 'internal';
    return { tenantId: b.tenantId, assistant };
  };
  const fail = (res: Response, error: unknown) => {
    if (error instanceof AppError) {
      const { code, ...rest } = error.extensions as Record<string, unknown>;
      res.status(STATUS[code as string] ?? 500).json({ error: { code, message: error.message, ...rest } });
      return;
    }
    log.error('internal model call failed', { error: (error as Error)?.name });
    res.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
  };

  app.post('/internal/complete', express.json({ limit: '1mb' }), async (req, res) => {
    const who = guard(req.body, res);
    if (!who) return;
    try {
      res.json(await llm.complete(who.tenantId, (req.body as { input?: never }).input ?? ({} as never), who.assistant));
    } catch (error) {
      fail(res, error);
    }
  });

  app.post('/internal/embed', express.json({ limit: '1mb' }), async (req, res) => {
    const who = guard(req.body, res);
    if (!who) return;
    try {
      res.json(await llm.embed(who.tenantId, (req.body as { texts?: never }).texts ?? ([] as never), who.assistant));
    } catch (error) {
      fail(res, error);
    }
  });
}
