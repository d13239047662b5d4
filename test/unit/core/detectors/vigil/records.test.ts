/**
 * The records of `vigil-rank` (records.ts): stuck runs and roughness, each now against the most
 * seen earlier; then the bands they score in, inside `vigil-rank` with the real members.
 */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../../src/core/detectors/index.ts';
import { Roughness, StuckRuns } from '../../../../../src/core/detectors/vigil/records.ts';
import { Prng } from '../../../../../src/core/math/prng.ts';

const uniform = (seed: number) => {
  const g = new Prng(seed);
  return () => g.next();
};

describe('StuckRuns', () => {
  it('counts repeats of the value before, against the longest run that ended earlier', () => {
    const r = new StuckRuns();
    const got = [5, 5, 5, 1, 2, 2, 3, 3, 3, 3, 3].map((x) => r.push(x));
    expect(got.map((g) => g.now)).toEqual([0, 1, 2, 0, 0, 1, 0, 1, 2, 3, 4]);
    expect(got.map((g) => g.before)).toEqual([0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it('peeks without learning and resumes from its snapshot', () => {
    const a = new StuckRuns();
    for (const x of [1, 1, 1, 2]) a.push(x);
    expect(a.peek(2)).toEqual({ now: 1, before: 2 });
    expect(a.peek(2)).toEqual(a.peek(2));
    const b = new StuckRuns(JSON.parse(JSON.stringify(a.snapshot())));
    for (const x of [2, 2, 7]) expect(b.push(x)).toEqual(a.push(x));
  });
});

describe('Roughness', () => {
  it('is the mean |second difference| of the window, against windows that ended a window earlier', () => {
    const r = new Roughness(2, 0);
    // |Second differences| from the third point on: 0, 0, 1, 1, 1, 0.
    const got = [0, 1, 2, 3, 5, 6, 6, 6].map((x) => r.push(x));
    expect(got.map((g) => g.now)).toEqual([0, 0, 0, 0, 0.5, 1, 1, 0.5]);
    // At point t the windows ending at t − 2 or before count: the 7th sees 0.5, the 8th 1.
    expect(got.map((g) => g.before)).toEqual([0, 0, 0, 0, 0, 0, 0.5, 1]);
  });

  it('keeps no maximum from before `from`', () => {
    // The windows ending at points 3–6 (0-based) are rough (means 20, 20, 15, 5), all before point 7.
    const r = new Roughness(2, 7);
    const got = [0, 10, 0, 10, 0, 0, 0, 0, 0, 0].map((x) => r.push(x));
    expect(got.map((g) => g.now)).toEqual([0, 0, 10, 20, 20, 15, 5, 0, 0, 0]);
    expect(got.every((g) => g.before === 0)).toBe(true);
  });

  it('peeks without learning and resumes bit for bit from its snapshot', () => {
    const rnd = uniform(7);
    const xs = Array.from({ length: 500 }, (_, i) => Math.sin(i / 5) * 1e3 + rnd());
    const a = new Roughness(16, 20);
    for (const x of xs.slice(0, 237)) a.push(x);
    const b = new Roughness(16, 20, JSON.parse(JSON.stringify(a.snapshot())));
    for (const x of xs.slice(237)) {
      const peek = b.peek(x);
      expect(b.push(x)).toEqual(peek);
      expect(a.push(x)).toEqual(peek);
    }
  });
});

describe('records in vigil-rank', () => {
  const registry = builtinDetectors();
  /** A periodic signal with a little noise, 6,000 points, the pipeline's real members. */
  function scores(edit: (xs: number[]) => void): number[] {
    const rnd = uniform(11);
    const xs = Array.from({ length: 6000 }, (_, i) =>
      Math.round(100 * Math.sin((2 * Math.PI * i) / 50) + 4 * rnd()),
    );
    edit(xs);
    const d = registry.create('vigil-rank', {});
    return xs.map((x, i) => d.step!(i * 60_000, x).score);
  }
  const max = (xs: number[], from: number, to: number) => Math.max(...xs.slice(from, to));

  it('a value stuck for 40 points, in a series that never held one for 2, scores in the top quarter of the record band', () => {
    const s = scores((xs) => xs.fill(xs[5000]!, 5000, 5040));
    expect(max(s, 5015, 5041)).toBeGreaterThan(0.975);
    expect(max(s, 4096, 5000)).toBeLessThan(0.975);
    // Scored again only as the ratio grows by 1.25: a few alarms over the 25 points it qualifies, not 25.
    const alarms = s.slice(5000, 5041).filter((x) => x > 0.975).length;
    expect(alarms).toBeGreaterThanOrEqual(2);
    expect(alarms).toBeLessThanOrEqual(6);
  });

  it('a burst of noise scores in the roughness quarter, above every discord record', () => {
    const rnd = uniform(3);
    const s = scores((xs) => {
      for (let i = 5000; i < 5100; i++) xs[i]! += 60 * (rnd() - 0.5);
    });
    const top = max(s, 5000, 5200);
    expect(top).toBeGreaterThan(0.95);
    expect(top).toBeLessThan(0.975);
    expect(max(s, 4096, 5000)).toBeLessThan(0.95);
  });

  it('an upgraded version-1 state starts the records afresh, without a record at once', () => {
    const rnd = uniform(5);
    const xs = Array.from({ length: 5000 }, (_, i) => 100 * Math.sin(i / 8) + rnd());
    const d = registry.create('vigil-rank', {});
    for (let i = 0; i < 4500; i++) d.step!(i, xs[i]!);
    const v2 = d.snapshot();
    const data = { ...(v2.data as Record<string, unknown>) };
    delete data.rough;
    delete data.stuck;
    const old = registry.create('vigil-rank', {}, { detector: 'vigil-rank', version: 1, data });
    const fresh = xs.slice(4500).map((x, i) => old.step!(4500 + i, x).score);
    expect(Math.max(...fresh)).toBeLessThan(0.95);
  });
});

describe('records in vigil-events (the default)', () => {
  const registry = builtinDetectors();
  function scores(params: Record<string, unknown>, edit: (xs: number[]) => void): number[] {
    const rnd = uniform(13);
    const xs = Array.from({ length: 6000 }, (_, i) =>
      Math.round(100 * Math.sin((2 * Math.PI * i) / 50) + 4 * rnd()),
    );
    edit(xs);
    const d = registry.create('vigil-events', params);
    return xs.map((x, i) => d.step!(i * 60_000, x).score);
  }
  const stuck = (xs: number[]) => xs.fill(xs[5000]!, 5000, 5040);

  it('scores a stuck stretch in the records band, and nothing there with records off', () => {
    const on = scores({}, stuck);
    expect(Math.max(...on.slice(5015, 5041))).toBeGreaterThan(0.975);
    const off = scores({ records: false }, stuck);
    expect(Math.max(...off.slice(5015, 5041))).toBeLessThan(0.95);
  });

  it('a series constant from its first point, or until after the warm-up, is not stuck', () => {
    const d = registry.create('vigil-events', {});
    const constant = Array.from({ length: 9000 }, (_, i) => d.step!(i, 42).score);
    expect(Math.max(...constant)).toBeLessThan(0.95);
    const rnd = uniform(4);
    const late = registry.create('vigil-events', {});
    const s = Array.from(
      { length: 9000 },
      (_, i) => late.step!(i, i < 5000 ? 42 : Math.round(100 * rnd())).score,
    );
    expect(Math.max(...s.slice(0, 5000))).toBeLessThan(0.95);
  });

  it('resumes its records from a snapshot', () => {
    const rnd = uniform(2);
    const xs = Array.from({ length: 4600 }, (_, i) => Math.round(50 * Math.sin(i / 7) + 3 * rnd()));
    xs.fill(xs[4400]!, 4400, 4460);
    const whole = registry.create('vigil-events', {});
    const all = xs.map((x, i) => whole.step!(i, x).score);
    const a = registry.create('vigil-events', {});
    for (let i = 0; i < 4420; i++) a.step!(i, xs[i]!);
    const b = registry.create('vigil-events', {}, JSON.parse(JSON.stringify(a.snapshot())));
    const rest = xs.slice(4420).map((x, i) => b.step!(4420 + i, x).score);
    expect(rest).toEqual(all.slice(4420));
    expect(Math.max(...rest)).toBeGreaterThan(0.975);
  });
});
