import { contentWords } from '@switchboard/kit';

/**
 * A tenant's ticket classifier: multinomial naive Bayes over the stemmed content words of a
 * ticket's subject and description (Laplace smoothing), one model per label (category,
 * priority). Small, deterministic, trained in milliseconds on the tenant's own labelled
 * tickets, and serialisable as JSON (the triage_model row).
 */
export interface NaiveBayes {
  /** Documents per class. */
  docs: Record<string, number>;
  /** Word counts per class. */
  words: Record<string, Record<string, number>>;
  /** Total words per class. */
  totals: Record<string, number>;
  vocabulary: number;
}

export interface TriageModel {
  category: NaiveBayes;
  priority: NaiveBayes;
}

export interface LabelledTicket {
  subject: string;
  description: string;
  category: string;
  priority: string;
}

export const featuresOf = (t: { subject: string; description: string }) => {
  // The subject says most: its words count twice.
  const subject = contentWords(t.subject);
  return [...subject, ...subject, ...contentWords(t.description)];
};

export function trainNaiveBayes(examples: { words: string[]; label: string }[]): NaiveBayes {
  const model: NaiveBayes = { docs: {}, words: {}, totals: {}, vocabulary: 0 };
  const vocabulary = new Set<string>();
  for (const { words, label } of examples) {
    model.docs[label] = (model.docs[label] ?? 0) + 1;
    const counts = (model.words[label] ??= {});
    for (const w of words) {
      counts[w] = (counts[w] ?? 0) + 1;
      vocabulary.add(w);
    }
    model.totals[label] = (model.totals[label] ?? 0) + words.length;
  }
  model.vocabulary = vocabulary.size;
  return model;
}

/** The most likely class and its posterior probability (0–1); null without training data. */
export function predict(model: NaiveBayes, words: string[]): { label: string; confidence: number } | null {
  const labels = Object.keys(model.docs);
  if (!labels.length) return null;
  const docs = labels.reduce((n, l) => n + model.docs[l]!, 0);
  const scores = labels.map((label) => {
    let score = Math.log(model.docs[label]! / docs);
    const counts = model.words[label] ?? {};
    const denominator = (model.totals[label] ?? 0) + model.vocabulary + 1;
    for (const w of words) score += Math.log(((counts[w] ?? 0) + 1) / denominator);
    return { label, score };
  });
  const max = Math.max(...scores.map((s) => s.score));
  const exp = scores.map((s) => ({ label: s.label, p: Math.exp(s.score - max) }));
  const sum = exp.reduce((n, s) => n + s.p, 0);
  const best = exp.sort((a, b) => b.p - a.p || a.label.localeCompare(b.label))[0]!;
  return { label: best.label, confidence: best.p / sum };
}

export function trainTriage(tickets: LabelledTicket[]): TriageModel {
  const rows = tickets.map((t) => ({ words: featuresOf(t), t }));
  return {
    category: trainNaiveBayes(rows.map((r) => ({ words: r.words, label: r.t.category }))),
    priority: trainNaiveBayes(rows.map((r) => ({ words: r.words, label: r.t.priority }))),
  };
}

export function classify(model: TriageModel, ticket: { subject: string; description: string }) {
  const words = featuresOf(ticket);
  return { category: predict(model.category, words), priority: predict(model.priority, words) };
}
