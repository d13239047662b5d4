import { describe, expect, it } from 'vitest';
import {
  activeAt,
  compileSilence,
  learningPaused,
  parseSilenceInput,
  type Silence,
  silencedBy,
} from '../../../../src/core/alerting/silences.ts';
import { isVigilError } from '../../../../src/core/errors.ts';

const MONDAY = Date.UTC(2026, 11, 7); // 2026-12-07 was a Monday
const H = 3_600_000;

function silence(over: Partial<Silence>): Silence {
  return {
    id: 's1',
    tenant: 'default',
    createdBy: 'test',
    createdMs: 0,
    match: '{service="db"}',
    startsAt: MONDAY,
    endsAt: MONDAY + 30 * 24 * H,
    kind: 'silence',
    comment: '',
    ...over,
  };
}

function fieldOf(input: unknown): string | undefined {
  try {
    parseSilenceInput(input);
  } catch (err) {
    if (isVigilError(err) && err.status === 400) return err.location?.field;
    throw err;
  }
  return undefined;
}

describe('silences', () => {
  it('are active inside [startsAt, endsAt) only', () => {
    const s = silence({ startsAt: 1000, endsAt: 2000 });
    expect([999, 1000, 1999, 2000].map((t) => activeAt(s, t))).toEqual([false, true, true, false]);
  });

  it('recur weekly on the given UTC days, also across midnight', () => {
    // Mondays and Wednesdays from 23:00 for 2 h.
    const s = silence({ recurrence: { days: [1, 3], start: '23:00', durationMs: 2 * H } });
    expect(activeAt(s, MONDAY + 22 * H)).toBe(false);
    expect(activeAt(s, MONDAY + 23 * H)).toBe(true);
    expect(activeAt(s, MONDAY + 24 * H + 30 * 60_000)).toBe(true); // Tuesday 00:30, still Monday's window
    expect(activeAt(s, MONDAY + 25 * H)).toBe(false);
    expect(activeAt(s, MONDAY + 24 * H + 23 * H)).toBe(false); // Tuesday 23:00
    expect(activeAt(s, MONDAY + 48 * H + 23.5 * H)).toBe(true); // Wednesday 23:30
    expect(activeAt(s, MONDAY + 7 * 24 * H + 23.5 * H)).toBe(true); // next Monday
  });

  it('match alerts by labels, the metric name standing for alertname', () => {
    const list = [
      compileSilence(silence({ id: 'a', match: 'HighLatency{service="db"}' })),
      compileSilence(silence({ id: 'b', match: '{severity="info"}' })),
    ];
    const t = MONDAY + H;
    expect(silencedBy(list, { alertname: 'HighLatency', service: 'db' }, t).map((s) => s.silence.id)).toEqual(
      ['a'],
    );
    expect(silencedBy(list, { alertname: 'Other', service: 'db' }, t)).toEqual([]);
    expect(silencedBy(list, { alertname: 'Other', severity: 'info' }, t).map((s) => s.silence.id)).toEqual([
      'b',
    ]);
    expect(silencedBy(list, { alertname: 'HighLatency', service: 'db' }, MONDAY - 1)).toEqual([]);
  });

  it('pause learning only in maintenance windows that match the series', () => {
    const t = MONDAY + H;
    const plain = [compileSilence(silence({ kind: 'silence' }))];
    const maint = [compileSilence(silence({ kind: 'maintenance', match: 'cpu{service="db"}' }))];
    expect(learningPaused(plain, 'cpu', { service: 'db' }, t)).toBe(false);
    expect(learningPaused(maint, 'cpu', { service: 'db' }, t)).toBe(true);
    expect(learningPaused(maint, 'mem', { service: 'db' }, t)).toBe(false);
    expect(learningPaused(maint, 'cpu', { service: 'db' }, MONDAY + 31 * 24 * H)).toBe(false);
  });

  it('input: defaults, and a 400 naming the bad field', () => {
    expect(parseSilenceInput({ match: 'x', startsAt: 1, endsAt: 2 })).toEqual({
      match: 'x',
      startsAt: 1,
      endsAt: 2,
      kind: 'silence',
      comment: '',
    });
    expect(fieldOf({ match: 'x{', startsAt: 1, endsAt: 2 })).toBe('match');
    expect(fieldOf({ match: 'x', startsAt: 2, endsAt: 1 })).toBe('endsAt');
    expect(fieldOf({ match: 'x', endsAt: 1 })).toBe('startsAt');
    expect(fieldOf({ match: 'x', startsAt: 1, endsAt: 2, kind: 'pause' })).toBe('kind');
    expect(
      fieldOf({
        match: 'x',
        startsAt: 1,
        endsAt: 2,
        recurrence: { days: [7], start: '10:00', durationMs: H },
      }),
    ).toBe('recurrence.days.0');
    expect(
      fieldOf({
        match: 'x',
        startsAt: 1,
        endsAt: 2,
        recurrence: { days: [1], start: '25:00', durationMs: H },
      }),
    ).toBe('recurrence.start');
  });
});
