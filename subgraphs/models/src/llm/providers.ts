import { withSpan, type Logger } from '@switchboard/kit';
import OpenAI, { AzureOpenAI } from 'openai';
import type { ChatMessage, Outcome, ResolvedModel, ResolvedProvider } from './catalog';
import { decryptSecret, type KeyRing } from './crypto';
import { localComplete, localEmbed } from './local';

/** A provider call that failed: its outcome for the attempt, breakers and metrics. */
export class CallFailure extends Error {
  constructor(readonly outcome: Outcome, readonly httpStatus: number | null, message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

/**
 * The provider calls: one `openai` SDK client per provider (rebuilt when the provider's row
 * changes), chat and embeddings, the LOCAL provider in-process. Errors come out as
 * `CallFailure`, whose message never carries the request or the key.
 */
export class ProviderClients {
  private readonly clients = new Map<string, OpenAI>();

  constructor(
    private readonly keys: KeyRing,
    private readonly log: Logger,
  ) {}

  private client(provider: ResolvedProvider): OpenAI {
    const key = `${provider.id}@${provider.version}`;
    let client = this.clients.get(key);
    if (!client) {
      for (const k of this.clients.keys()) if (k.startsWith(`${provider.id}@`)) this.clients.delete(k);
      const apiKey = provider.secret.plain ?? (provider.secret.sealed ? decryptSecret(provider.secret.sealed, this.keys) : null) ?? 'none';
      const common = { apiKey, maxRetries: 0, timeout: provider.timeoutMs, logLevel: 'off' as const };
      client =
        provider.kind === 'AZURE_OPENAI'
          ? new AzureOpenAI({ ...common, endpoint: provider.baseUrl ?? undefined, apiVersion: '2024-10-21' })
          : new OpenAI({ ...common, baseURL: provider.baseUrl ?? 'https://api.openai.com/v1' });
      this.clients.set(key, client);
    }
    return client;
  }

  async chat(model: ResolvedModel, messages: ChatMessage[], params: { maxTokens: number; temperature: number | null; timeoutMs: number }) {
    return withSpan('llm.chat', { 'llm.model': model.name, 'llm.provider': model.provider.name, 'llm.provider.kind': model.provider.kind }, async (span) => {
      if (model.provider.kind === 'LOCAL') {
        const text = localComplete(messages);
        return { text, inputTokens: undefined, outputTokens: undefined, httpStatus: null };
      }
      try {
        const { data, response } = await this.client(model.provider)
          .chat.completions.create(
            {
              model: model.name,
              messages: messages.map((m) => ({ role: m.role.toLowerCase() as 'system' | 'user' | 'assistant', content: m.content })),
              max_tokens: params.maxTokens,
              ...(params.temperature !== null ? { temperature: params.temperature } : {}),
            },
            { timeout: params.timeoutMs },
          )
          .withResponse();
        span.setAttribute('llm.usage.input_tokens', data.usage?.prompt_tokens ?? 0);
        span.setAttribute('llm.usage.output_tokens', data.usage?.completion_tokens ?? 0);
        return { text: data.choices[0]?.message?.content ?? '', inputTokens: data.usage?.prompt_tokens, outputTokens: data.usage?.completion_tokens, httpStatus: response.status };
      } catch (error) {
        if (!(error instanceof OpenAI.APIError)) this.log.warn('model call failed', { model: model.name, provider: model.provider.name, error: (error as Error)?.name, detail: process.env.MODELS_DEBUG ? String((error as Error)?.stack) : undefined });
        throw toFailure(error);
      }
    });
  }

  async embed(model: ResolvedModel, texts: string[]): Promise<{ vectors: number[][]; inputTokens?: number }> {
    return withSpan('llm.embed', { 'llm.model': model.name, 'llm.provider': model.provider.name, 'llm.provider.kind': model.provider.kind }, async () => {
      if (model.provider.kind === 'LOCAL') return { vectors: localEmbed(texts) };
      try {
        const res = await this.client(model.provider).embeddings.create({ model: model.name, input: texts, encoding_format: 'float' }, { timeout: model.provider.timeoutMs });
        const vectors = [...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding as number[]);
        return { vectors, inputTokens: res.usage?.prompt_tokens };
      } catch (error) {
        throw toFailure(error);
      }
    });
  }
}

/** An SDK error as an attempt's outcome. Its message never carries the request (or the key). */
export function toFailure(error: unknown): CallFailure {
  if (error instanceof OpenAI.APIConnectionTimeoutError) return new CallFailure('TIMEOUT', null, 'timed out');
  if (error instanceof OpenAI.APIUserAbortError) return new CallFailure('TIMEOUT', null, 'aborted');
  if (error instanceof OpenAI.APIError && typeof error.status === 'number') {
    if (error.status === 429) {
      const raw = error.headers?.get?.('retry-after') ?? null;
      const seconds = raw !== null ? Number(raw) : NaN;
      const date = raw !== null && Number.isNaN(seconds) ? Date.parse(raw) - Date.now() : NaN;
      const retryAfterMs = Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : Number.isFinite(date) ? Math.max(0, date) : undefined;
      return new CallFailure('RATE_LIMITED', 429, 'HTTP 429', retryAfterMs);
    }
    return new CallFailure('ERROR', error.status, `HTTP ${error.status}`);
  }
  if (error instanceof OpenAI.APIConnectionError) return new CallFailure('ERROR', null, 'connection failed');
  return new CallFailure('ERROR', null, 'provider call failed');
}
