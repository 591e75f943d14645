import { addBusinessMinutes, businessHoursProblems, businessMinutesBetween, evaluateSla, type BusinessHours, type SlaClock } from './sla-math';

const at = (iso: string) => new Date(iso);
const weekdays = (timeZone: string): BusinessHours => ({ timeZone, days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
const berlin = weekdays('Europe/Berlin');

/** Renders an instant as local "YYYY-MM-DD HH:MM" so the expectations read in the zone's own terms. */
const local = (date: Date, timeZone: string) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

describe('addBusinessMinutes without business hours', () => {
  it('adds plain wall-clock minutes, fractions included', () => {
    expect(addBusinessMinutes(at('2026-01-17T10:00:00Z'), 90)).toEqual(at('2026-01-17T11:30:00Z'));
    expect(addBusinessMinutes(at('2026-01-17T10:00:00Z'), 1.5, null)).toEqual(at('2026-01-17T10:01:30Z'));
    expect(addBusinessMinutes(at('2026-01-17T10:00:00Z'), 0)).toEqual(at('2026-01-17T10:00:00Z'));
  });

  it('counts real elapsed time across a DST change (the wall clock in Berlin jumps, the SLA does not)', () => {
    expect(addBusinessMinutes(at('2026-03-29T00:30:00Z'), 60)).toEqual(at('2026-03-29T01:30:00Z'));
  });

  it('rejects negative, NaN and infinite minutes, and invalid dates', () => {
    expect(() => addBusinessMinutes(at('2026-01-17T10:00:00Z'), -1)).toThrow(RangeError);
    expect(() => addBusinessMinutes(at('2026-01-17T10:00:00Z'), Number.NaN)).toThrow(RangeError);
    expect(() => addBusinessMinutes(at('2026-01-17T10:00:00Z'), Number.POSITIVE_INFINITY, berlin)).toThrow(RangeError);
    expect(() => addBusinessMinutes(new Date('nope'), 5)).toThrow(RangeError);
  });
});

describe('addBusinessMinutes, Mon–Fri 09:00–17:00 Europe/Berlin (CET = UTC+1 in January)', () => {
  it('Friday 16:30 + 60 working minutes is due Monday 09:30', () => {
    const due = addBusinessMinutes(at('2026-01-16T15:30:00Z'), 60, berlin);
    expect(due).toEqual(at('2026-01-19T08:30:00Z'));
    expect(local(due, 'Europe/Berlin')).toBe('2026-01-19 09:30');
  });

  it('a ticket created on Saturday counts from Monday 09:00', () => {
    expect(addBusinessMinutes(at('2026-01-17T09:00:00Z'), 60, berlin)).toEqual(at('2026-01-19T09:00:00Z')); // Mon 10:00
  });

  it('a ticket created at 08:00 starts counting at 09:00', () => {
    expect(addBusinessMinutes(at('2026-01-20T07:00:00Z'), 30, berlin)).toEqual(at('2026-01-20T08:30:00Z')); // Tue 09:30
  });

  it('a ticket created after closing counts from the next working morning', () => {
    expect(addBusinessMinutes(at('2026-01-20T18:00:00Z'), 30, berlin)).toEqual(at('2026-01-21T08:30:00Z')); // Tue 19:00 → Wed 09:30
  });

  it('zero minutes is the start itself inside hours, the next opening outside them', () => {
    expect(addBusinessMinutes(at('2026-01-20T10:15:00Z'), 0, berlin)).toEqual(at('2026-01-20T10:15:00Z'));
    expect(addBusinessMinutes(at('2026-01-17T09:00:00Z'), 0, berlin)).toEqual(at('2026-01-19T08:00:00Z'));
    // Exactly at closing nothing is left today.
    expect(addBusinessMinutes(at('2026-01-20T16:00:00Z'), 0, berlin)).toEqual(at('2026-01-21T08:00:00Z'));
  });

  it('a target that uses up the day exactly ends at closing, not at the next opening', () => {
    expect(addBusinessMinutes(at('2026-01-19T08:00:00Z'), 8 * 60, berlin)).toEqual(at('2026-01-19T16:00:00Z')); // Mon 17:00
  });

  it('spans several days: 8 hours + 1 minute, and a full working week', () => {
    expect(addBusinessMinutes(at('2026-01-19T08:00:00Z'), 8 * 60 + 1, berlin)).toEqual(at('2026-01-20T08:01:00Z')); // Mon 09:00 → Tue 09:01
    expect(addBusinessMinutes(at('2026-01-16T08:00:00Z'), 8 * 60 + 1, berlin)).toEqual(at('2026-01-19T08:01:00Z')); // Fri 09:00 → Mon 09:01
    expect(addBusinessMinutes(at('2026-01-19T08:00:00Z'), 5 * 8 * 60, berlin)).toEqual(at('2026-01-23T16:00:00Z')); // → Fri 17:00
    expect(addBusinessMinutes(at('2026-01-19T08:00:00Z'), 5 * 8 * 60 + 30, berlin)).toEqual(at('2026-01-26T08:30:00Z')); // → next Mon 09:30
  });

  it('keeps sub-minute precision of the start', () => {
    expect(addBusinessMinutes(at('2026-01-20T15:59:30.250Z'), 1, berlin)).toEqual(at('2026-01-21T08:00:30.250Z'));
  });

  it('refuses invalid hours instead of looping', () => {
    expect(() => addBusinessMinutes(at('2026-01-20T10:00:00Z'), 60, { ...berlin, days: [] })).toThrow(/businessHours.days/);
    expect(() => addBusinessMinutes(at('2026-01-20T10:00:00Z'), 60, { ...berlin, end: '09:00' })).toThrow(/businessHours.end/);
    expect(() => addBusinessMinutes(at('2026-01-20T10:00:00Z'), 60, { ...berlin, timeZone: 'Mars/Olympus' })).toThrow(/businessHours.timeZone/);
  });

  it('gives up with an error, not a hang, when the due time is absurdly far away', () => {
    const oneMinuteOnMondays: BusinessHours = { timeZone: 'Europe/Berlin', days: [1], start: '09:00', end: '09:01' };
    expect(() => addBusinessMinutes(at('2026-01-19T08:00:00Z'), 1e9, oneMinuteOnMondays)).toThrow(/further than/);
    // Well inside the bound it still works: 100 Mondays.
    expect(local(addBusinessMinutes(at('2026-01-19T08:00:00Z'), 100, oneMinuteOnMondays), 'Europe/Berlin')).toBe('2027-12-13 09:01');
  });

  it('accepts an end of 24:00 (open until midnight)', () => {
    const lateShift: BusinessHours = { timeZone: 'Europe/Berlin', days: [1, 2], start: '22:00', end: '24:00' };
    // Mon 23:30 + 60 → 30 minutes Monday, then Tuesday 22:00 + 30.
    expect(addBusinessMinutes(at('2026-01-19T22:30:00Z'), 60, lateShift)).toEqual(at('2026-01-20T21:30:00Z'));
  });
});

describe('daylight-saving changes in Europe/Berlin (2026-03-29 and 2026-10-25)', () => {
  it('spring forward: Friday 16:30 CET + 60 is Monday 09:30 CEST (UTC+2)', () => {
    const due = addBusinessMinutes(at('2026-03-27T15:30:00Z'), 60, berlin);
    expect(due).toEqual(at('2026-03-30T07:30:00Z'));
    expect(local(due, 'Europe/Berlin')).toBe('2026-03-30 09:30');
    expect(businessMinutesBetween(at('2026-03-27T15:30:00Z'), due, berlin)).toBe(60);
  });

  it('fall back: Friday 16:30 CEST + 60 is Monday 09:30 CET (UTC+1)', () => {
    const due = addBusinessMinutes(at('2026-10-23T14:30:00Z'), 60, berlin);
    expect(due).toEqual(at('2026-10-26T08:30:00Z'));
    expect(local(due, 'Europe/Berlin')).toBe('2026-10-26 09:30');
  });

  it('a working week across the change keeps 09:00–17:00 local every day', () => {
    const due = addBusinessMinutes(at('2026-03-26T08:00:00Z'), 3 * 8 * 60 + 15, berlin); // Thu 09:00 CET
    expect(local(due, 'Europe/Berlin')).toBe('2026-03-31 09:15'); // Thu, Fri, Mon full; Tue 09:15 CEST
    expect(due).toEqual(at('2026-03-31T07:15:00Z'));
  });

  const nights = (start: string, end: string): BusinessHours => ({ timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5, 6, 7], start, end });

  it('a window spanning the skipped hour is an hour shorter (01:00–04:00 has 2 real hours on 29 March)', () => {
    // Sun 01:00 CET: 120 minutes that night (to 04:00 CEST = 02:00Z), the remaining 30 on Monday from 01:00 CEST.
    const due = addBusinessMinutes(at('2026-03-29T00:00:00Z'), 150, nights('01:00', '04:00'));
    expect(due).toEqual(at('2026-03-29T23:30:00Z'));
    expect(local(due, 'Europe/Berlin')).toBe('2026-03-30 01:30');
    expect(businessMinutesBetween(at('2026-03-29T00:00:00Z'), at('2026-03-29T12:00:00Z'), nights('01:00', '04:00'))).toBe(120);
  });

  it('a window spanning the repeated hour is an hour longer (01:00–04:00 has 4 real hours on 25 October)', () => {
    const due = addBusinessMinutes(at('2026-10-24T23:00:00Z'), 210, nights('01:00', '04:00')); // Sun 01:00 CEST
    expect(due).toEqual(at('2026-10-25T02:30:00Z'));
    expect(local(due, 'Europe/Berlin')).toBe('2026-10-25 03:30');
    expect(businessMinutesBetween(at('2026-10-24T12:00:00Z'), at('2026-10-25T12:00:00Z'), nights('01:00', '04:00'))).toBe(240);
  });

  it('an opening time the clocks skip opens at the same distance after the gap (02:30 → 03:30 CEST)', () => {
    const due = addBusinessMinutes(at('2026-03-28T23:00:00Z'), 10, nights('02:30', '05:00')); // Sun 00:00 CET
    expect(local(due, 'Europe/Berlin')).toBe('2026-03-29 03:40');
  });

  it('an opening time the clocks repeat opens at its first occurrence (02:30 CEST, not CET)', () => {
    const due = addBusinessMinutes(at('2026-10-24T22:00:00Z'), 1, nights('02:30', '05:00')); // Sun 00:00 CEST
    expect(due).toEqual(at('2026-10-25T00:31:00Z'));
  });

  it('a window that is exactly the skipped hour (02:00–03:00) does not exist that day', () => {
    const gapOnly = nights('02:00', '03:00');
    expect(addBusinessMinutes(at('2026-03-28T23:00:00Z'), 5, gapOnly)).toEqual(at('2026-03-30T00:05:00Z')); // Mon 02:05 CEST
    expect(businessMinutesBetween(at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'), gapOnly)).toBe(0);
  });
});

describe('other zones', () => {
  const kolkata = weekdays('Asia/Kolkata'); // UTC+05:30, no DST
  const newYork = weekdays('America/New_York');

  it('Asia/Kolkata: Friday 16:30 IST + 60 is Monday 09:30 IST', () => {
    const due = addBusinessMinutes(at('2026-01-16T11:00:00Z'), 60, kolkata);
    expect(due).toEqual(at('2026-01-19T04:00:00Z'));
    expect(local(due, 'Asia/Kolkata')).toBe('2026-01-19 09:30');
  });

  it('Asia/Kolkata: Monday 02:00 local is still Sunday in UTC, and counting starts Monday 09:00 local', () => {
    expect(addBusinessMinutes(at('2026-01-18T20:30:00Z'), 30, kolkata)).toEqual(at('2026-01-19T04:00:00Z'));
  });

  it('America/New_York: Friday 16:30 EST + 60 is Monday 09:30 EST', () => {
    expect(addBusinessMinutes(at('2026-01-16T21:30:00Z'), 60, newYork)).toEqual(at('2026-01-19T14:30:00Z'));
  });

  it('America/New_York: Friday 20:00 local is already Saturday in UTC, and counts as Friday after closing', () => {
    expect(addBusinessMinutes(at('2026-01-17T01:00:00Z'), 60, newYork)).toEqual(at('2026-01-19T15:00:00Z')); // Mon 10:00 EST
  });

  it('America/New_York across its own DST change (2026-03-08): Friday 16:30 EST + 60 is Monday 09:30 EDT', () => {
    const due = addBusinessMinutes(at('2026-03-06T21:30:00Z'), 60, newYork);
    expect(due).toEqual(at('2026-03-09T13:30:00Z'));
    expect(local(due, 'America/New_York')).toBe('2026-03-09 09:30');
  });
});

describe('businessMinutesBetween', () => {
  it('is 0 when to <= from', () => {
    expect(businessMinutesBetween(at('2026-01-20T10:00:00Z'), at('2026-01-20T10:00:00Z'), berlin)).toBe(0);
    expect(businessMinutesBetween(at('2026-01-20T10:00:00Z'), at('2026-01-20T09:00:00Z'))).toBe(0);
  });

  it('without hours is plain, possibly fractional, minutes', () => {
    expect(businessMinutesBetween(at('2026-01-20T10:00:00Z'), at('2026-01-20T10:01:30Z'))).toBe(1.5);
    expect(businessMinutesBetween(at('2026-01-16T15:30:00Z'), at('2026-01-19T08:30:00Z'), null)).toBe(2 * 24 * 60 + 17 * 60);
  });

  it('counts only working time, ignoring nights and weekends', () => {
    expect(businessMinutesBetween(at('2026-01-16T15:30:00Z'), at('2026-01-19T08:30:00Z'), berlin)).toBe(60);
    expect(businessMinutesBetween(at('2026-01-17T00:00:00Z'), at('2026-01-18T23:00:00Z'), berlin)).toBe(0); // weekend
    expect(businessMinutesBetween(at('2026-01-19T00:00:00Z'), at('2026-01-26T00:00:00Z'), berlin)).toBe(5 * 8 * 60);
  });

  it('round-trips with addBusinessMinutes', () => {
    const cases: [string, number, BusinessHours][] = [
      ['2026-01-16T15:30:00Z', 60, berlin],
      ['2026-01-17T09:00:00Z', 60, berlin],
      ['2026-01-20T07:00:00Z', 481, berlin],
      ['2026-03-26T12:34:56Z', 2000, berlin],
      ['2026-10-22T05:00:00Z', 1234.5, berlin],
      ['2026-01-18T20:30:00Z', 999, weekdays('Asia/Kolkata')],
      ['2026-03-05T18:00:00Z', 3333, weekdays('America/New_York')],
      ['2026-03-28T23:00:00Z', 500, { timeZone: 'Europe/Berlin', days: [6, 7, 1], start: '01:00', end: '04:00' }],
    ];
    for (const [start, minutes, hours] of cases) {
      const due = addBusinessMinutes(at(start), minutes, hours);
      expect(businessMinutesBetween(at(start), due, hours)).toBeCloseTo(minutes, 9);
    }
  });
});

describe('businessHoursProblems', () => {
  const fields = (hours: BusinessHours) => businessHoursProblems(hours).map((p) => p.field);

  it('accepts valid hours', () => {
    expect(businessHoursProblems(berlin)).toEqual([]);
    expect(businessHoursProblems({ timeZone: 'UTC', days: [7], start: '00:00', end: '24:00' })).toEqual([]);
  });

  it('reports an unknown or missing time zone', () => {
    expect(businessHoursProblems({ ...berlin, timeZone: 'Europe/Atlantis' })).toEqual([
      { field: 'businessHours.timeZone', message: expect.stringContaining('Europe/Atlantis') },
    ]);
    expect(fields({ ...berlin, timeZone: '' })).toEqual(['businessHours.timeZone']);
  });

  it('reports empty, out-of-range, fractional and repeated days', () => {
    expect(fields({ ...berlin, days: [] })).toEqual(['businessHours.days']);
    expect(fields({ ...berlin, days: [0, 1] })).toEqual(['businessHours.days']);
    expect(fields({ ...berlin, days: [1, 8] })).toEqual(['businessHours.days']);
    expect(fields({ ...berlin, days: [1.5] })).toEqual(['businessHours.days']);
    expect(fields({ ...berlin, days: [1, 2, 1] })).toEqual(['businessHours.days']);
  });

  it('reports malformed times', () => {
    for (const bad of ['9:00', '09:0', '24:00', '12:60', '25:00', 'nine', '', ' 09:00']) {
      expect(fields({ ...berlin, start: bad })).toEqual(['businessHours.start']);
    }
    for (const bad of ['17', '24:01', '17:00:00']) {
      expect(fields({ ...berlin, end: bad })).toEqual(['businessHours.end']);
    }
  });

  it('reports an end that is not later than start', () => {
    expect(businessHoursProblems({ ...berlin, end: '09:00' })).toEqual([{ field: 'businessHours.end', message: 'must be later than start' }]);
    expect(fields({ ...berlin, start: '18:00', end: '08:00' })).toEqual(['businessHours.end']);
  });

  it('reports every problem at once', () => {
    expect(fields({ timeZone: 'Nowhere/Land', days: [], start: 'x', end: 'y' })).toEqual([
      'businessHours.timeZone',
      'businessHours.days',
      'businessHours.start',
      'businessHours.end',
    ]);
  });
});

describe('evaluateSla', () => {
  // Wall-clock SLA: first response due in 60 minutes, resolution in 8 hours.
  const clock: SlaClock = {
    startedAt: at('2026-01-19T08:00:00Z'),
    firstResponseDueAt: at('2026-01-19T09:00:00Z'),
    resolutionDueAt: at('2026-01-19T16:00:00Z'),
    firstRespondedAt: null,
    resolvedAt: null,
  };

  it('is ON_TRACK early in the window', () => {
    expect(evaluateSla(clock, at('2026-01-19T08:10:00Z'), 0.25)).toEqual({ state: 'ON_TRACK', breachedAt: null });
  });

  it('is AT_RISK from exactly the share boundary on (inclusive)', () => {
    // 25% of the 60-minute first-response window = 15 minutes left at 08:45.
    expect(evaluateSla(clock, at('2026-01-19T08:44:59.999Z'), 0.25).state).toBe('ON_TRACK');
    expect(evaluateSla(clock, at('2026-01-19T08:45:00Z'), 0.25)).toEqual({ state: 'AT_RISK', breachedAt: null });
    // 0.35 × 90 min is 1889999.9999999998 ms in floating point; the boundary still sits at 31.5 minutes left.
    const ninety = { ...clock, firstResponseDueAt: at('2026-01-19T09:30:00Z') };
    expect(evaluateSla(ninety, at('2026-01-19T08:58:29.999Z'), 0.35).state).toBe('ON_TRACK');
    expect(evaluateSla(ninety, at('2026-01-19T08:58:30Z'), 0.35).state).toBe('AT_RISK');
  });

  it('is still AT_RISK, not BREACHED, at the due instant itself; BREACHED 1 ms later with breachedAt = due', () => {
    expect(evaluateSla(clock, at('2026-01-19T09:00:00Z'), 0.25).state).toBe('AT_RISK');
    expect(evaluateSla(clock, at('2026-01-19T09:00:00.001Z'), 0.25)).toEqual({ state: 'BREACHED', breachedAt: at('2026-01-19T09:00:00Z') });
  });

  it('a late first response stays BREACHED after it is given', () => {
    const late = { ...clock, firstRespondedAt: at('2026-01-19T09:05:00Z') };
    expect(evaluateSla(late, at('2026-01-19T10:00:00Z'), 0.25)).toEqual({ state: 'BREACHED', breachedAt: at('2026-01-19T09:00:00Z') });
    // A resolution one second late is a breach too.
    const resolvedLate = { ...clock, firstRespondedAt: at('2026-01-19T08:30:00Z'), resolvedAt: at('2026-01-19T16:00:01Z') };
    expect(evaluateSla(resolvedLate, at('2026-01-20T00:00:00Z'), 0.25)).toEqual({ state: 'BREACHED', breachedAt: at('2026-01-19T16:00:00Z') });
  });

  it('a target met on time, even at the due instant exactly, no longer counts', () => {
    const responded = { ...clock, firstRespondedAt: at('2026-01-19T09:00:00Z') };
    // Past the first-response due time, resolution far away: ON_TRACK.
    expect(evaluateSla(responded, at('2026-01-19T10:00:00Z'), 0.25)).toEqual({ state: 'ON_TRACK', breachedAt: null });
    // Inside the first-response risk zone, but it was answered: ON_TRACK.
    expect(evaluateSla(responded, at('2026-01-19T08:59:00Z'), 0.25).state).toBe('ON_TRACK');
    const done = { ...responded, resolvedAt: at('2026-01-19T12:00:00Z') };
    expect(evaluateSla(done, at('2026-02-01T00:00:00Z'), 0.25)).toEqual({ state: 'ON_TRACK', breachedAt: null });
  });

  it('breachedAt is the earliest missed due time', () => {
    expect(evaluateSla(clock, at('2026-01-20T00:00:00Z'), 0.25)).toEqual({ state: 'BREACHED', breachedAt: at('2026-01-19T09:00:00Z') });
    const onlyResolution = { ...clock, firstRespondedAt: at('2026-01-19T08:20:00Z') };
    expect(evaluateSla(onlyResolution, at('2026-01-20T00:00:00Z'), 0.25).breachedAt).toEqual(at('2026-01-19T16:00:00Z'));
  });

  it('with both targets null it is ON_TRACK', () => {
    const none = { ...clock, firstResponseDueAt: null, resolutionDueAt: null };
    expect(evaluateSla(none, at('2030-01-01T00:00:00Z'), 1)).toEqual({ state: 'ON_TRACK', breachedAt: null });
  });

  it('share 0 means at risk only with nothing left; share 1 means at risk throughout; a zero-length window is at risk', () => {
    expect(evaluateSla(clock, at('2026-01-19T08:59:59.999Z'), 0).state).toBe('ON_TRACK');
    expect(evaluateSla(clock, at('2026-01-19T09:00:00Z'), 0).state).toBe('AT_RISK');
    expect(evaluateSla(clock, at('2026-01-19T08:00:00Z'), 1).state).toBe('AT_RISK');
    const instant = { ...clock, firstResponseDueAt: clock.startedAt, resolutionDueAt: null };
    expect(evaluateSla(instant, clock.startedAt, 0.25).state).toBe('AT_RISK');
  });

  it('rejects a share outside 0..1 and invalid hours', () => {
    expect(() => evaluateSla(clock, at('2026-01-19T08:10:00Z'), 1.5)).toThrow(RangeError);
    expect(() => evaluateSla(clock, at('2026-01-19T08:10:00Z'), -0.1)).toThrow(RangeError);
    expect(() => evaluateSla(clock, at('2026-01-19T08:10:00Z'), Number.NaN)).toThrow(RangeError);
    expect(() => evaluateSla(clock, at('2026-01-19T08:10:00Z'), 0.25, { ...berlin, days: [9] })).toThrow(/businessHours.days/);
  });

  describe('in business hours (Mon–Fri 09:00–17:00 Berlin)', () => {
    // Started Mon 09:00, resolution due after 510 working minutes = Tue 09:30.
    const startedAt = at('2026-01-19T08:00:00Z');
    const hoursClock: SlaClock = {
      startedAt,
      firstResponseDueAt: null,
      resolutionDueAt: addBusinessMinutes(startedAt, 510, berlin),
      firstRespondedAt: null,
      resolvedAt: null,
    };

    it('measures remaining and window in working time', () => {
      expect(hoursClock.resolutionDueAt).toEqual(at('2026-01-20T08:30:00Z'));
      // 10% of 510 = 51 working minutes: Mon 16:38 leaves 52, 16:39 leaves 51.
      expect(evaluateSla(hoursClock, at('2026-01-19T15:38:00Z'), 0.1, berlin).state).toBe('ON_TRACK');
      expect(evaluateSla(hoursClock, at('2026-01-19T15:39:00Z'), 0.1, berlin).state).toBe('AT_RISK');
      // Monday night: 13.5 hours of wall clock left, but only 30 working minutes.
      expect(evaluateSla(hoursClock, at('2026-01-19T19:00:00Z'), 0.1, berlin).state).toBe('AT_RISK');
      expect(evaluateSla(hoursClock, at('2026-01-19T19:00:00Z'), 0.1, null).state).toBe('ON_TRACK');
    });

    it('breaches on the instant, not on working time', () => {
      expect(evaluateSla(hoursClock, at('2026-01-20T08:30:00.001Z'), 0.1, berlin)).toEqual({ state: 'BREACHED', breachedAt: at('2026-01-20T08:30:00Z') });
    });
  });
});
