export interface BusinessHours {
  /** IANA zone, e.g. "Europe/Berlin". */
  timeZone: string;
  /** Working days, ISO numbering: 1 = Monday … 7 = Sunday. Non-empty, unique. */
  days: number[];
  /** Local opening time "HH:MM" (24h). */
  start: string;
  /** Local closing time "HH:MM", later than start on the same day ("24:00" means midnight at the end of the day). */
  end: string;
}

export type SlaState = 'ON_TRACK' | 'AT_RISK' | 'BREACHED';

export interface SlaClock {
  /** When the SLA window started (ticket creation, or the last priority change). */
  startedAt: Date;
  firstResponseDueAt: Date | null;
  resolutionDueAt: Date | null;
  firstRespondedAt: Date | null;
  resolvedAt: Date | null;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** addBusinessMinutes gives up after scanning this many local days (~10 years): a due time that far out is a configuration error, and the bound keeps the loop finite whatever the input. */
const MAX_SCAN_DAYS = 3_660;

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Returns problems as { field, message } (field like "businessHours.timeZone"); empty array when valid. */
export function businessHoursProblems(hours: BusinessHours): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const add = (field: string, message: string) => problems.push({ field: `businessHours.${field}`, message });

  if (typeof hours.timeZone !== 'string' || hours.timeZone === '') add('timeZone', 'is required');
  else if (hours.timeZone.length > 64 || hours.timeZone.includes('\u0000')) add('timeZone', 'is not a known IANA time zone (at most 64 characters)');
  else if (!formatterFor(hours.timeZone)) add('timeZone', `"${hours.timeZone}" is not a known IANA time zone`);

  if (!Array.isArray(hours.days) || hours.days.length === 0) add('days', 'needs at least one working day');
  else if (hours.days.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) add('days', 'days are numbered 1 (Monday) to 7 (Sunday)');
  else if (new Set(hours.days).size !== hours.days.length) add('days', 'must not repeat a day');

  const start = parseTime(hours.start, false);
  const end = parseTime(hours.end, true);
  if (start === null) add('start', 'must be a time "HH:MM" between 00:00 and 23:59');
  if (end === null) add('end', 'must be a time "HH:MM" between 00:00 and 23:59, or 24:00 for midnight');
  if (start !== null && end !== null && end <= start) add('end', 'must be later than start');
  return problems;
}

/**
 * `start` plus `minutes` of working time. Without hours (null/undefined): plain wall-clock minutes.
 * If start is outside business hours, counting begins at the next opening (so 0 minutes outside hours gives that opening).
 * Local times that a DST change skips are moved forward and repeated ones take the earlier instant (Temporal's "compatible").
 * @throws RangeError for invalid hours, a negative or non-finite `minutes`, an invalid date, or a result beyond ~10 years.
 */
export function addBusinessMinutes(start: Date, minutes: number, hours?: BusinessHours | null): Date {
  const from = instant(start, 'start');
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be a finite number >= 0, got ${minutes}`);
  if (!hours) return new Date(from + minutes * MINUTE_MS);

  const schedule = compile(hours);
  let remaining = minutes * MINUTE_MS;
  let day = localDay(from, schedule.timeZone);
  for (let scanned = 0; scanned < MAX_SCAN_DAYS; scanned++, day += DAY_MS) {
    const window = openWindow(day, schedule);
    if (!window || window.close <= from) continue;
    const begin = Math.max(window.open, from);
    if (remaining <= window.close - begin) return new Date(begin + remaining);
    remaining -= window.close - begin;
  }
  throw new RangeError(`addBusinessMinutes: ${minutes} working minutes reach further than ${MAX_SCAN_DAYS} days from ${start.toISOString()}`);
}

/**
 * Working minutes between two instants (0 if to <= from). Without hours: plain minutes (may be fractional).
 * Inverse of addBusinessMinutes: businessMinutesBetween(s, addBusinessMinutes(s, m, h), h) === m.
 * @throws RangeError for invalid hours or an invalid date.
 */
export function businessMinutesBetween(from: Date, to: Date, hours?: BusinessHours | null): number {
  return businessMsBetween(instant(from, 'from'), instant(to, 'to'), hours ? compile(hours) : null) / MINUTE_MS;
}

/**
 * The SLA state at `now`. A target counts only while unmet (first response while firstRespondedAt is null,
 * resolution while resolvedAt is null); a target whose due time is null does not exist.
 *
 * - BREACHED when an unmet target's due time is strictly before `now` (at exactly the due instant the target can still
 *   be met), or when a target was met strictly after its due time: a late first response stays a breach.
 * - AT_RISK when, for some unmet target, the remaining time now → due (working time if hours are given) is at most
 *   (inclusive) `atRiskShare` of the target's whole window startedAt → due, compared at whole milliseconds.
 *   A zero-length window is therefore at risk until it is breached.
 * - Otherwise ON_TRACK.
 *
 * `breachedAt` is the earliest due time that was missed (the moment of breach), else null.
 * @throws RangeError for invalid hours, an invalid date, or `atRiskShare` outside 0..1.
 */
export function evaluateSla(
  clock: SlaClock,
  now: Date,
  atRiskShare: number,
  hours?: BusinessHours | null,
): { state: SlaState; breachedAt: Date | null } {
  if (!(atRiskShare >= 0 && atRiskShare <= 1)) throw new RangeError(`atRiskShare must be between 0 and 1, got ${atRiskShare}`);
  const at = instant(now, 'now');
  const startedAt = instant(clock.startedAt, 'startedAt');
  const schedule = hours ? compile(hours) : null;
  const targets = [
    { due: clock.firstResponseDueAt, metAt: clock.firstRespondedAt, name: 'firstResponseDueAt' },
    { due: clock.resolutionDueAt, metAt: clock.resolvedAt, name: 'resolutionDueAt' },
  ];

  let breachedAt: number | null = null;
  let atRisk = false;
  for (const target of targets) {
    if (!target.due) continue;
    const due = instant(target.due, target.name);
    const missed = target.metAt ? instant(target.metAt, `${target.name} met`) > due : due < at;
    if (missed) {
      breachedAt = breachedAt === null ? due : Math.min(breachedAt, due);
      continue;
    }
    if (target.metAt) continue;
    const remaining = businessMsBetween(at, due, schedule);
    // Rounded so that float noise in share × window cannot move an exact boundary.
    if (remaining <= Math.round(atRiskShare * businessMsBetween(startedAt, due, schedule))) atRisk = true;
  }

  if (breachedAt !== null) return { state: 'BREACHED', breachedAt: new Date(breachedAt) };
  return { state: atRisk ? 'AT_RISK' : 'ON_TRACK', breachedAt: null };
}

// ---------------------------------------------------------------------------------------------------------------------

interface Schedule {
  timeZone: string;
  days: ReadonlySet<number>;
  /** Minutes after local midnight. */
  start: number;
  end: number;
}

function compile(hours: BusinessHours): Schedule {
  // Validating first is what keeps the day loops finite: with no working day or an empty window they would never finish.
  const problems = businessHoursProblems(hours);
  if (problems.length > 0) throw new RangeError(`invalid business hours: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  return { timeZone: hours.timeZone, days: new Set(hours.days), start: parseTime(hours.start, false)!, end: parseTime(hours.end, true)! };
}

function businessMsBetween(from: number, to: number, schedule: Schedule | null): number {
  if (to <= from) return 0;
  if (!schedule) return to - from;
  let total = 0;
  // Bounded by the span itself: one iteration per local day from `from` to `to`.
  const last = localDay(to, schedule.timeZone);
  for (let day = localDay(from, schedule.timeZone); day <= last; day += DAY_MS) {
    const window = openWindow(day, schedule);
    if (window) total += Math.max(0, Math.min(window.close, to) - Math.max(window.open, from));
  }
  return total;
}

/** The opening and closing instants of one local day, or null when it is not a working day. `day` is that local date at 00:00 encoded as UTC ms. */
function openWindow(day: number, schedule: Schedule): { open: number; close: number } | null {
  const isoWeekday = new Date(day).getUTCDay() || 7;
  if (!schedule.days.has(isoWeekday)) return null;
  const open = localToInstant(day + schedule.start * MINUTE_MS, schedule.timeZone);
  const close = localToInstant(day + schedule.end * MINUTE_MS, schedule.timeZone);
  // Both ends shift forward out of a spring-forward gap, so a window of exactly the gap (02:00–03:00) collapses to nothing.
  return close > open ? { open, close } : null;
}

function parseTime(value: unknown, allowMidnightEnd: boolean): number | null {
  if (typeof value !== 'string') return null;
  if (allowMidnightEnd && value === '24:00') return 24 * 60;
  const match = HHMM.exec(value);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

function instant(date: Date, name: string): number {
  const ms = date instanceof Date ? date.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date`);
  return ms;
}

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/** One formatter per zone (they are costly to build); null for a zone Intl does not know. */
function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      return null; // not cached: a stream of made-up zone names must not grow the map
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The local wall-clock time of an instant, encoded as if it were UTC ms (whole seconds). */
function wallClock(ms: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone)!.formatToParts(ms)) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
}

/** Zone offset at an instant, in ms (local − UTC). */
function offsetAt(ms: number, timeZone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClock(whole, timeZone) - whole;
}

/** Local midnight of the day containing the instant, encoded as UTC ms. */
function localDay(ms: number, timeZone: string): number {
  const wall = wallClock(ms, timeZone);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

/**
 * The instant a local wall-clock time (encoded as UTC ms) happens in a zone. Assumes at most one offset change within a
 * day either side, which holds for every real zone. Skipped times move forward by the gap, repeated ones take the earlier instant.
 */
function localToInstant(wall: number, timeZone: string): number {
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  if (before === after) return wall - before;
  const candidates = [wall - before, wall - after].filter((t) => offsetAt(t, timeZone) === wall - t);
  // No candidate: the time falls in a gap, and the pre-change offset lands it that far past the gap.
  return candidates.length === 0 ? wall - before : Math.min(...candidates);
}
