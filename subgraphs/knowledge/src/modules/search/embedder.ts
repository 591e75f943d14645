import { localEmbedding } from '@switchboard/kit';

/**
 * How knowledge turns text into vectors: one small seam. The default is the kit's `LOCAL`
 * embedding, in process; the models subgraph's internal API (the tenant's embedding model)
 * can replace it without touching chunking or search. Vectors must be L2-normalised: search
 * takes the dot product as the cosine.
 */
export interface Embedder {
  /** A name stored with nothing yet; kept for when vectors of two models must not mix. */
  readonly model: string;
  embed(tenantId: string, texts: string[]): Promise<number[][]>;
}

export const localEmbedder: Embedder = {
  model: 'LOCAL',
  embed: async (_tenantId, texts) => texts.map((t) => localEmbedding(t)),
};
