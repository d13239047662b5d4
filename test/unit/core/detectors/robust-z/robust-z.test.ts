import { describe, expect, it } from 'vitest';
import type { Detector, DetectorState } from '../../../../../src/core/detectors/detector.ts';
import { type RobustZParams, robustZ } from '../../../../../src/core/detectors/robust-z/robust-z.ts';
import { gaussian, prng } from '../fixtures.ts';

function create(params: Partial<RobustZParams> = {}, state?: DetectorState): Detector {
  return robustZ.create({ ...robustZ.defaults, ...params }, state);
}

function feed(d: Detector, values: Iterable<number>): void {
  let ts = 0;
  for (const v of values) d.update(ts++, v);
}

function normals(n: number, mean: number, sd: number, seed: number): number[] {
  const g = gaussian(prng(seed));
  return Array.from({ length: n }, () => mean + sd * g());
}

/** The robust sd the detector reports, read back from its band. */
function sdOf(d: Detector): number {
  const s = d.score(0, 0);
  return (s.upper - s.expected) / robustZ.defaults.bandSigmas;
}

describe('robust-z', () => {
  it.each([0.5, 0.99, 0.999])('estimates the median and a consistent sd on normal noise (q %s)', (q) => {
    // At the default step a central quantile's estimate swings by ±30%; a smaller one shows that
    // the conversion to sd (1.4826 for the MAD) is right for any q.
    const d = create({ scaleQuantile: q, scaleRate: q === 0.999 ? 0.15 : 0.02 });
    feed(d, normals(20_000, 10, 2, 7));
    expect(d.score(0, 10).expected).toBeCloseTo(10, 0);
    expect(sdOf(d)).toBeGreaterThan(2 * 0.85);
    expect(sdOf(d)).toBeLessThan(2 * 1.2);
  });

  it('keeps its median through 5% of wild outliers, and widens the band to them', () => {
    const u = prng(3);
    const d = create();
    feed(
      d,
      normals(5_000, 0, 1, 3).map((v) => (u() < 0.05 ? 1e6 : v)),
    );
    const s = d.score(0, 0);
    // The median steps in MAD units, which the outliers do not move.
    expect(Math.abs(s.expected)).toBeLessThan(0.5);
    // Spikes more frequent than 1 − q are the series' normal: the scale follows them.
    expect(s.upper).toBeGreaterThan(1e5);
    expect(d.score(0, 1e6).score).toBeLessThan(robustZ.threshold!);
  });

  it('scores 0 in warm-up, |z| / (|z| + bandSigmas) after, 0.5 on the band edge', () => {
    const d = create();
    const values = normals(2_000, 100, 5, 11);
    for (let i = 0; i < values.length; i++) {
      const s = d.score(i, values[i]!);
      if (i < robustZ.defaults.warmup) expect(s.score).toBe(0);
      d.update(i, values[i]!);
    }
    const s = d.score(0, 100);
    expect(d.score(0, s.upper).score).toBeCloseTo(0.5, 12);
    expect(d.score(0, s.lower).score).toBeCloseTo(0.5, 12);
    const sd = sdOf(d);
    const z = 10;
    expect(d.score(0, s.expected + z * sd).score).toBeCloseTo(z / (z + 3.5), 12);
    // Ordinary points sit well below the recommended threshold.
    let above = 0;
    for (const v of normals(2_000, 100, 5, 12)) if (d.score(0, v).score >= robustZ.threshold!) above++;
    expect(above).toBeLessThan(10);
  });

  it('ranks extreme points apart instead of saturating at 1', () => {
    const d = create();
    feed(d, normals(500, 0, 1, 5));
    const scores = [1e3, 1e6, 1e9, 1e12].map((v) => d.score(0, v).score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeGreaterThan(scores[i - 1]!);
    expect(scores.at(-1)!).toBeLessThan(1);
  });

  it('scores any departure from a constant series 1, and the constant itself 0', () => {
    const d = create({ minScale: 0 });
    feed(
      d,
      Array.from({ length: 100 }, () => 0),
    );
    expect(d.score(0, 0).score).toBe(0);
    expect(d.score(0, 1).score).toBe(1);
    expect(d.score(0, -1e-300).score).toBe(1);
  });

  it('finds a repeated excursion less surprising than the first', () => {
    const d = create();
    const base = normals(3_000, 50, 1, 9);
    feed(d, base.slice(0, 2_000));
    const first = d.score(0, 60).score;
    d.update(0, 60);
    feed(d, base.slice(2_000, 2_100));
    const again = d.score(0, 60).score;
    expect(first).toBeGreaterThan(robustZ.threshold!);
    expect(again).toBeLessThan(first);
  });

  it('flags a level shift, then follows it', () => {
    const d = create();
    feed(d, normals(1_000, 0, 1, 13));
    const after = normals(2_000, 10, 1, 14);
    expect(d.score(0, after[0]!).score).toBeGreaterThan(robustZ.threshold!);
    feed(d, after.slice(0, 500));
    // Every deviation is large during the shift, so the MAD grows and the median's steps with it.
    expect(d.score(0, 0).expected).toBeGreaterThan(8);
    feed(d, after.slice(500));
    expect(d.score(0, 0).expected).toBeCloseTo(10, 0);
  });

  it('snapshots four numbers within the declared bound, even at the extremes', () => {
    const d = create();
    feed(d, normals(100, 0, 1, 1));
    const snap = d.snapshot();
    expect(snap.version).toBe(robustZ.version);
    expect(Object.keys(snap.data as object)).toEqual(['n', 'median', 'mad', 'scale']);
    const worst: DetectorState = {
      detector: 'robust-z',
      version: robustZ.version,
      data: {
        n: Number.MAX_SAFE_INTEGER,
        median: -2.2250738585072014e-308,
        mad: -2.2250738585072014e-308,
        scale: -2.2250738585072014e-308,
      },
    };
    expect(JSON.stringify(create({}, worst).snapshot()).length).toBeLessThanOrEqual(robustZ.maxStateBytes!);
  });

  it('restores a version-1 state by replaying its window', () => {
    const values = normals(64, 5, 1, 21);
    const old: DetectorState = { detector: 'robust-z', version: 1, data: { values } };
    const fresh = create();
    feed(fresh, values);
    const restored = create({}, old);
    expect(restored.snapshot()).toEqual(fresh.snapshot());
    expect(restored.snapshot().version).toBe(2);
  });

  it('starts fresh from a state of an unknown version', () => {
    const d = create({}, { detector: 'robust-z', version: 99, data: {} });
    expect(d.snapshot().data).toEqual({ n: 0, median: 0, mad: 0, scale: 0 });
  });
});
