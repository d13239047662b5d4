import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { warmStart, warmStartLogged, warmStartMetrics } from '../../../src/app/warm-start.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';

const DAY = 86_400_000;

function stored(ts: number[]): ScoredPoint[] {
  return ts.map(
    (t) =>
      ({
        ts: t,
        value: t,
        score: 0,
        expected: Number.NaN,
        lower: Number.NaN,
        upper: Number.NaN,
        anomalous: false,
      }) as ScoredPoint,
  );
}

function deps(points: Map<number, ScoredPoint[]>, before: Map<number, number | null>, maxPoints: number) {
  const reads: [number, number, number][] = [];
  const primed = new Map<number, number[]>();
  return {
    reads,
    primed,
    d: {
      range: async (sid: number, from: number, to: number) => {
        reads.push([sid, from, to]);
        if (sid === 99) throw new Error('store down');
        return (points.get(sid) ?? []).filter((p) => p.ts >= from && p.ts < to);
      },
      primeBefore: (sid: number) => (before.has(sid) ? before.get(sid)! : Number.POSITIVE_INFINITY),
      prime: (sid: number, ps: readonly { ts: number }[]) => {
        primed.set(
          sid,
          ps.map((p) => p.ts),
        );
        return ps.length;
      },
      maxPoints,
    },
  };
}

describe('warmStart', () => {
  it('primes the newest maxPoints before the primable end, reading further back only as needed', async () => {
    // Hourly points over 40 days; the new pipeline learnt from the last day on.
    const ts = Array.from({ length: 40 * 24 }, (_, i) => i * 3_600_000);
    const end = 39 * DAY;
    const t = deps(new Map([[1, stored(ts)]]), new Map([[1, end]]), 100);
    const r = await warmStart([1], t.d);
    expect(r).toEqual({ series: 1, points: 100, failed: 0 });
    const got = t.primed.get(1)!;
    expect(got).toEqual(ts.filter((x) => x < end).slice(-100));
    // A day held 24: the 16-day window held enough.
    expect(t.reads.map((r) => r[2] - r[1])).toEqual([DAY, 16 * DAY]);
  });

  it('reads everything when the windows hold too few, and all of it when the end is open', async () => {
    const ts = [0, 1, 2, 300 * DAY];
    const t = deps(
      new Map([
        [1, stored(ts)],
        [2, stored(ts)],
      ]),
      new Map([[1, 301 * DAY]]),
      10,
    );
    await warmStart([1, 2], t.d);
    expect(t.primed.get(1)).toEqual(ts);
    expect(t.primed.get(2)).toEqual(ts);
    expect(t.reads.filter((r) => r[0] === 1).at(-1)![1]).toBe(Number.NEGATIVE_INFINITY);
    expect(t.reads.filter((r) => r[0] === 2)).toEqual([
      [2, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    ]);
  });

  it('a series that cannot be primed or whose read fails is still let go (prime with no points)', async () => {
    const t = deps(new Map([[1, stored([1, 2])]]), new Map([[1, null]]), 10);
    const r = await warmStart([1, 99], t.d);
    expect(t.reads.map((x) => x[0])).toEqual([99]);
    expect(t.primed.get(1)).toEqual([]);
    expect(t.primed.get(99)).toEqual([]);
    expect(r.series).toBe(0);
    expect(r.failed).toBe(1);
    expect((r.error as Error).message).toBe('store down');
  });

  it('warmStartLogged logs before and after, and a failure as a warning without rejecting', async () => {
    const lines: string[] = [];
    const log = {
      info: (_o: object, m: string) => lines.push(`info ${m}`),
      warn: (_o: object, m: string) => lines.push(`warn ${m}`),
    };
    await warmStartLogged([1], 'series config', async () => ({ series: 1, points: 5, failed: 0 }), log);
    await warmStartLogged([1], 'series config', () => Promise.reject(new Error('x')), log);
    await warmStartLogged([], 'series config', () => Promise.reject(new Error('never')), log);
    expect(lines).toEqual([
      'info warm start: priming new pipelines from stored history',
      'info warm start done',
      'info warm start: priming new pipelines from stored history',
      'warn warm start failed; the series start cold',
    ]);
  });

  it('warmStartLogged counts primed series and points by reason, and the series pending while it runs', async () => {
    const registry = new Registry();
    const metrics = warmStartMetrics(registry);
    const log = { info: () => {}, warn: () => {} };
    let pendingDuring = -1;
    await warmStartLogged(
      [1, 2, 3],
      'pipeline changed since the last run',
      async () => {
        pendingDuring = (await metrics.pending.get()).values[0]!.value;
        return { series: 2, points: 700, failed: 1 };
      },
      log,
      metrics,
    );
    await warmStartLogged(
      [4],
      'model version',
      async () => ({ series: 1, points: 50, failed: 0 }),
      log,
      metrics,
    );
    await warmStartLogged([5], 'series config', () => Promise.reject(new Error('x')), log, metrics);
    expect(pendingDuring).toBe(3);
    const text = await registry.metrics();
    expect(text).toMatch(/^vigil_warm_start_series_total\{reason="restart"\} 2$/m);
    expect(text).toMatch(/^vigil_warm_start_points_total\{reason="restart"\} 700$/m);
    expect(text).toMatch(/^vigil_warm_start_series_total\{reason="model_version"\} 1$/m);
    expect(text).toMatch(/^vigil_warm_start_points_total\{reason="model_version"\} 50$/m);
    expect(text).not.toMatch(/reason="series_config"/);
    expect(text).toMatch(/^vigil_warm_start_pending_series 0$/m);
  });
});
