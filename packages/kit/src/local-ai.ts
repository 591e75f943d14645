import { createHash } from 'node:crypto';

/**
 * The `LOCAL` embedding: deterministic, offline, no model weights. Not a language model —
 * a hashed bag of features that is good enough for retrieval over a help center:
 *
 * - words, lower-cased, accents folded, stop words dropped, lightly stemmed (English,
 *   German, Spanish suffixes), weighted 1;
 * - neighbouring word pairs (order kept), weighted 0.5, so "reset password" ≠ "password reset"
 *   only a little;
 * - character trigrams of each word with boundary marks, weighted 0.2, so typos and
 *   inflections still overlap ("refnud" shares "ref" and "und" with "refund");
 *
 * - a concept for words of one synonym group (`SYNONYM_GROUPS`: generic customer-support
 *   vocabulary, "coupon" ~ "discount", "parcel" ~ "package", "broken" ~ "damaged"), weighted 0.8,
 *   so a customer's word meets the article's;
 *
 * each hashed (with a sign) into `dimensions` buckets, term frequency dampened (1 + ln tf),
 * and the vector L2-normalised, so cosine similarity is a dot product. The knowledge
 * subgraph embeds article chunks and questions with it; the models subgraph serves it as
 * its `LOCAL` provider's embedding model. Same text, same vector, on every machine.
 */
export const LOCAL_EMBEDDING_DIMENSIONS = 512;

const STOP_WORDS = new Set(
  (
    // English
    'a an the and or but if then else of to in on at by for with from into onto over under about as is are was were be been being am ' +
    'do does did doing done have has had having i me my mine we us our you your yours he him his she her it its they them their ' +
    'this that these those there here what which who whom whose when where why how can could would should will shall may might must ' +
    'not no nor so too very just also only than such some any all each every both few more most other own same again once ' +
    'please hi hello hey thanks thank ok okay get got let lets im ive id dont doesnt didnt cant cannot wont isnt arent wasnt ' +
    // German
    'der die das den dem des ein eine einer eines einem einen und oder aber wenn dann von zu im in am an auf mit für fur aus bei ' +
    'ist sind war waren sein bin bist hat haben hatte ich mich mir mein meine wir uns unser du dich dein sie ihr ihre es er ihn ' +
    'nicht kein keine so auch nur wie was wer wo warum wann kann können konnen muss soll bitte hallo danke noch schon ja nein ' +
    // Spanish
    'el la los las un una unos unas y o pero si de del al en con por para es son fue ser estoy esta este esto mi mis yo tu su sus ' +
    'nos que como cuando donde porque no lo le les se me te hola gracias favor muy ya'
  ).split(/\s+/),
);

/** Suffixes stripped from words of 5+ letters, longest first, keeping a stem of at least 3. */
const SUFFIXES = [
  'ations', 'ation', 'ments', 'ment', 'ingly', 'ings', 'ing', 'ness', 'ities', 'ity', 'ied', 'ies', 'ers', 'er', 'ed', 'ly', 'es', 's',
  // German
  'ungen', 'ung', 'heiten', 'heit', 'keiten', 'keit', 'lich', 'isch', 'en', 'em', 'e', 'n',
  // Spanish
  'aciones', 'acion', 'amente', 'mente', 'ando', 'iendo', 'ado', 'ido', 'as', 'os', 'a', 'o',
].sort((x, y) => y.length - x.length);

/** Lower-case, fold accents (é → e, ü → u, ß → ss), keep letters and digits. */
export function normalizeText(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/ß/g, 'ss').toLowerCase();
}

export function stem(word: string): string {
  if (word.length < 5 || /^\d+$/.test(word)) return word;
  for (const suffix of SUFFIXES) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) return word.slice(0, -suffix.length);
  }
  return word;
}

/** The words that carry meaning, stemmed, in order. */
export function contentWords(text: string): string[] {
  const words = normalizeText(text).match(/[a-z0-9]+/g) ?? [];
  return words.filter((w) => w.length > 1 && !STOP_WORDS.has(w)).map(stem);
}

/**
 * Words customers and help centers use for the same thing, in English, German and Spanish.
 * Generic support vocabulary, not the wording of any one help center or test question.
 */
export const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['refund', 'reimburse', 'reimbursement', 'repay', 'erstattung', 'ruckerstattung', 'reembolso'],
  ['damaged', 'broken', 'smashed', 'cracked', 'shattered', 'defective', 'faulty', 'beschadigt', 'kaputt', 'defekt', 'roto'],
  ['discount', 'coupon', 'voucher', 'promo', 'promotion', 'rabatt', 'gutschein', 'descuento', 'cupon'],
  ['staff', 'employee', 'colleague', 'coworker', 'teammate', 'mitarbeiter', 'empleado'],
  ['csv', 'spreadsheet', 'excel', 'xlsx'],
  ['parcel', 'package', 'shipment', 'paket', 'sendung', 'paquete'],
  ['shipping', 'delivery', 'deliver', 'ship', 'versand', 'lieferung', 'envio'],
  ['store', 'shop', 'website', 'storefront', 'laden', 'tienda'],
  ['login', 'signin', 'logon', 'log', 'sign', 'anmeldung', 'anmelden'],
  ['password', 'passcode', 'passwort', 'contrasena'],
  ['cancel', 'terminate', 'unsubscribe', 'kundigen', 'kundigung', 'cancelar'],
  ['delete', 'erase', 'wipe', 'remove', 'loschen', 'eliminar'],
  ['invoice', 'receipt', 'bill', 'rechnung', 'factura', 'recibo'],
  ['email', 'mail', 'inbox'],
  ['notify', 'notification', 'alert', 'callback', 'webhook', 'benachrichtigung'],
  ['slow', 'sluggish', 'laggy', 'lag', 'performance', 'langsam', 'lento'],
  ['fee', 'cost', 'price', 'pricing', 'commission', 'gebuhr', 'kosten', 'preis', 'precio'],
  ['product', 'item', 'listing', 'produkt', 'artikel', 'producto'],
  ['upload', 'import', 'bulk'],
  ['data', 'information', 'info', 'daten', 'datos'],
  ['credential', 'token', 'apikey', 'secret'],
  ['late', 'delayed', 'delay', 'overdue', 'verspatet'],
  ['money', 'funds', 'cash', 'geld', 'dinero'],
  ['phone', 'mobile', 'smartphone', 'cellphone', 'handy', 'movil'],
  ['authenticator', '2fa', 'mfa', 'otp'],
  ['dispute', 'chargeback'],
  ['down', 'outage', 'offline', 'unavailable', 'unreachable', 'ausfall'],
];

let synonyms: Map<string, string> | undefined;

/** The concept of a (stemmed) content word, if it belongs to a synonym group. */
export function conceptOf(word: string): string | undefined {
  if (!synonyms) {
    synonyms = new Map();
    for (const group of SYNONYM_GROUPS) for (const w of group) synonyms.set(stem(normalizeText(w)), group[0]!);
  }
  return synonyms.get(word);
}

function bucket(feature: string, dimensions: number): { index: number; sign: number } {
  const digest = createHash('md5').update(feature).digest();
  return { index: digest.readUInt32LE(0) % dimensions, sign: digest[4]! & 1 ? 1 : -1 };
}

export function localEmbedding(text: string, dimensions = LOCAL_EMBEDDING_DIMENSIONS): number[] {
  const features = new Map<string, { weight: number; count: number }>();
  const add = (feature: string, weight: number) => {
    const seen = features.get(feature);
    if (seen) seen.count += 1;
    else features.set(feature, { weight, count: 1 });
  };
  const words = contentWords(text);
  words.forEach((word, i) => {
    add(`w:${word}`, 1);
    const concept = conceptOf(word);
    if (concept) add(`s:${concept}`, 0.8);
    if (i > 0) add(`b:${words[i - 1]}_${word}`, 0.5);
    const marked = `^${word}$`;
    for (let j = 0; j + 3 <= marked.length; j++) add(`c:${marked.slice(j, j + 3)}`, 0.2);
  });
  const vector = new Array<number>(dimensions).fill(0);
  for (const [feature, { weight, count }] of features) {
    const { index, sign } = bucket(feature, dimensions);
    vector[index]! += sign * weight * (1 + Math.log(count));
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return norm > 0 ? vector.map((v) => v / norm) : vector;
}

/** Cosine similarity of two vectors (a dot product when both are normalised, as local ones are). */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}
