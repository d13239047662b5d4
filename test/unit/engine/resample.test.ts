/**
 * Resampling in the engine: raw points fall into epoch-aligned buckets, a bucket is scored at its
 * start once the lateness has passed its end, late points within the lateness join their bucket
 * first, and open buckets survive a checkpoint.
 */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { AGGREGATES, type Aggregate, Resampler, resampleProblem } from '../../../src/core/resample.ts';
import { Engine, type EngineOutput } from '../../../src/engine/engine.ts';
import type { SeriesConfig } from '../../../src/ports/meta-store.ts';
import { rawConfig } from '../../helpers/series-config.ts';

const EWMA = rawConfig('ewma', { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 }, 0.999);

function collect() {
  const points: ScoredPoint[] = [];
  const rejected: string[] = [];
  const out: EngineOutput = {
    point: (_sid, p) => points.push(p),
    anomaly: () => {},
    rejected: (reason, _sid, ts) => rejected.push(`${reason}@${ts}`),
  };
  return { out, points, rejected };
}

function engine(lateness: number, resample?: SeriesConfig['resample']) {
  return new Engine({
    registry: builtinDetectors(),
    defaults: { ...EWMA, ...(resample !== undefined ? { resample } : {}) },
    allowedLatenessMs: lateness,
  });
}

describe('Resampler', () => {
  it('aggregates each bucket by event time, whatever the arrival order', () => {
    // Bucket [0, 10): values by ts 3→5, 1→7, 8→2 (arriving out of order); bucket [10, 20): 12→4.
    const expected: Record<Aggregate, number> = {
      mean: 14 / 3,
      sum: 14,
      min: 2,
      max: 7,
      first: 7,
      last: 2,
      count: 3,
    };
    for (const aggregate of AGGREGATES) {
      const r = new Resampler({ intervalMs: 10, aggregate });
      for (const [ts, v] of [
        [3, 5],
        [1, 7],
        [8, 2],
        [12, 4],
      ] as const)
        r.add(ts, v);
      const got: [number, number][] = [];
      r.close(20, 0, (ts, v) => got.push([ts, v]));
      expect(got.map(([ts]) => ts)).toEqual([0, 10]);
      expect(got[0]![1]).toBeCloseTo(expected[aggregate], 12);
      expect(r.openBuckets).toBe(0);
    }
  });

  it('keeps a bucket open until the watermark is the lateness past its end; negative times align too', () => {
    const r = new Resampler({ intervalMs: 10, aggregate: 'sum' });
    r.add(-5, 1);
    r.add(-15, 2);
    const got: number[] = [];
    r.close(4, 5, (ts) => got.push(ts)); // [-20,-10) ends at -10: -10 + 5 ≤ 4, closed; [-10,0): 0 + 5 > 4
    expect(got).toEqual([-20]);
    r.close(5, 5, (ts) => got.push(ts));
    expect(got).toEqual([-20, -10]);
  });

  it('keeps sums finite and says why a resampling is refused', () => {
    const r = new Resampler({ intervalMs: 10, aggregate: 'sum' });
    r.add(1, Number.MAX_VALUE);
    r.add(2, Number.MAX_VALUE);
    let v = 0;
    r.close(100, 0, (_ts, x) => {
      v = x;
    });
    expect(v).toBe(Number.MAX_VALUE);
    expect(resampleProblem({ intervalMs: 60_000, aggregate: 'mean' }, 60_000)).toBeUndefined();
    expect(resampleProblem({ intervalMs: 10, aggregate: 'mean' }, 60_000)).toMatch(
      /too small.*at least 59 ms/,
    );
    expect(resampleProblem({ intervalMs: 0, aggregate: 'mean' }, 0)).toMatch(/positive integer/);
    expect(resampleProblem({ intervalMs: 5, aggregate: 'median' as Aggregate }, 0)).toMatch(
      /one of mean, sum/,
    );
  });
});

describe('Engine with resampling', () => {
  it('scores one point per bucket at its start, in order, after late points joined it', () => {
    const e = engine(15, { intervalMs: 10, aggregate: 'mean' });
    const c = collect();
    // ts 0..49 one per ms, with ts 7 arriving after ts 10 (within the 15 ms lateness, and among the
    // last 8 timestamps the admission rule remembers), a point 46 ms late (rejected), a duplicate.
    const order = Array.from({ length: 50 }, (_, i) => i).filter((t) => t !== 7);
    order.splice(10, 0, 7);
    for (const ts of order) e.process(1, ts, ts, c.out);
    e.process(1, 3, 0, c.out); // 46 ms behind the newest: too late
    e.process(1, 49, 0, c.out); // duplicate
    expect(c.rejected).toEqual(['too_late@3', 'duplicate@49']);
    // Watermark 49, lateness 15: buckets ending at ≤ 34 are closed: [0,10), [10,20), [20,30).
    expect(c.points.map((p) => [p.ts, p.value])).toEqual([
      [0, 4.5],
      [10, 14.5],
      [20, 24.5],
    ]);
    e.process(1, 60, 60, c.out);
    expect(c.points.map((p) => p.ts)).toEqual([0, 10, 20, 30]); // [40,50) ends at 50: 50 + 15 > 60
  });

  it('open buckets survive a checkpoint: the output equals an uninterrupted run', () => {
    const resample = { intervalMs: 60_000, aggregate: 'max' as const };
    const values = Array.from({ length: 3000 }, (_, i) => 10 + Math.sin(i / 9) + (i === 2222 ? 50 : 0));
    const whole = engine(120_000, resample);
    const cw = collect();
    for (const [i, v] of values.entries()) whole.process(1, i * 7_000, v, cw.out);

    const first = engine(120_000, resample);
    const cs = collect();
    for (const [i, v] of values.slice(0, 1234).entries()) first.process(1, i * 7_000, v, cs.out);
    const states = first.takeDirtyStates();
    const second = engine(120_000, resample);
    second.restore(states);
    for (const [i, v] of values.slice(1234).entries()) second.process(1, (i + 1234) * 7_000, v, cs.out);
    expect(cs.points).toEqual(cw.points);
    expect(cw.points.length).toBe(Math.floor((2999 * 7_000 - 120_000) / 60_000));
    expect(cw.points.some((p) => p.anomalous)).toBe(true);

    // Restored under another resampling, the buckets (and detector state) start afresh.
    const other = engine(120_000, { intervalMs: 60_000, aggregate: 'min' });
    other.restore(states);
    const co = collect();
    other.process(1, 1234 * 7_000, 10, co.out);
    other.process(1, 1300 * 7_000, 10, co.out);
    expect(co.points[0]!.ts).toBe(Math.floor((1234 * 7_000) / 60_000) * 60_000);
  });

  it('setConfig refuses a resampling too fine for the lateness and turns it on and off', () => {
    const e = engine(60_000);
    const c = collect();
    expect(() => e.setConfig(1, { ...EWMA, resample: { intervalMs: 1, aggregate: 'mean' } }, c.out)).toThrow(
      /too small/,
    );
    e.setConfig(1, { ...EWMA, resample: { intervalMs: 1000, aggregate: 'count' } }, c.out);
    for (let t = 0; t < 70_000; t += 100) e.process(1, t, 1, c.out);
    expect(c.points.length).toBe(9); // buckets [0,1s) … [8s,9s): 9s + 60s ≤ 69.9s
    expect(c.points.every((p) => p.value === 10)).toBe(true);
    e.setConfig(1, EWMA, c.out);
    e.process(1, 80_000, 5, c.out);
    expect(c.points.map((p) => p.ts).slice(-1)).toEqual([80_000]); // every point again
  });
});
