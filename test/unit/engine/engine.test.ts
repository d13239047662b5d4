import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { Engine, type EngineOutput, type RejectReason } from '../../../src/engine/engine.ts';
import { rawConfig } from '../../helpers/series-config.ts';

function collect() {
  const points: { sid: number; p: ScoredPoint; late: boolean }[] = [];
  const anomalies: Anomaly[] = [];
  const rejected: { reason: RejectReason; sid: number; ts: number }[] = [];
  const out: EngineOutput = {
    point: (sid, p, late) => points.push({ sid, p, late }),
    anomaly: (a) => anomalies.push(a),
    rejected: (reason, sid, ts) => rejected.push({ reason, sid, ts }),
  };
  return { out, points, anomalies, rejected };
}

function engine(lateness = 10_000) {
  return new Engine({
    registry: builtinDetectors(),
    defaults: rawConfig('ewma', { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 }, 0.999),
    allowedLatenessMs: lateness,
  });
}

const series = (n: number, spikes: number[] = []) =>
  Array.from({ length: n }, (_, i) => (spikes.includes(i) ? 100 : 10 + Math.sin(i) * 0.5));

describe('Engine', () => {
  it('scores before learning: the first point of a series has no expectation', () => {
    const c = collect();
    const e = engine();
    e.process(1, 1000, 5, c.out);
    expect(c.points[0]!.p.score).toBe(0);
    expect(Number.isNaN(c.points[0]!.p.expected)).toBe(true);
    e.process(1, 2000, 5, c.out);
    expect(c.points[1]!.p.expected).toBe(5);
  });

  it('keeps series apart', () => {
    const c = collect();
    const e = engine();
    e.process(1, 1000, 5, c.out);
    e.process(2, 1000, 1000, c.out);
    e.process(1, 2000, 5, c.out);
    expect(c.points[2]!.p.expected).toBe(5);
    expect(e.seriesCount).toBe(2);
  });

  it('turns consecutive anomalous points into one anomaly and closes it', () => {
    const c = collect();
    const e = engine();
    const v = series(60);
    // Each spike far outside the band the previous spike widened, so all three are anomalous.
    v[40] = 100;
    v[41] = 1e4;
    v[42] = 1e6;
    v.forEach((x, i) => {
      e.process(7, i * 1000, x, c.out);
    });
    const final = new Map<number, Anomaly>();
    for (const a of c.anomalies) final.set(a.start, a);
    const runs = [...final.values()];
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      seriesId: 7,
      start: 40_000,
      end: 42_000,
      points: 3,
      open: false,
      direction: 'up',
    });
  });

  it('rejects duplicates and points later than the allowed lateness, scores late ones without learning', () => {
    const c = collect();
    const e = engine(5000);
    for (let i = 0; i < 20; i++) e.process(1, i * 1000, 10, c.out);
    e.process(1, 19_000, 10, c.out); // duplicate of the newest
    e.process(1, 17_000, 10, c.out); // duplicate of a recent one
    e.process(1, 10_000, 10, c.out); // 9 s late > 5 s
    e.process(1, 16_500, 50, c.out); // 2.5 s late: allowed
    expect(c.rejected.map((r) => r.reason)).toEqual(['duplicate', 'duplicate', 'too_late']);
    const late = c.points.filter((p) => p.late);
    expect(late).toHaveLength(1);
    expect(late[0]!.p.ts).toBe(16_500);
    // The late point did not train the model: the next point sees the same expectation.
    e.process(1, 20_000, 10, c.out);
    expect(c.points[c.points.length - 1]!.p.expected).toBeCloseTo(10, 9);
  });

  it('state restored from takeDirtyStates continues exactly like the original', () => {
    const v = series(300, [100, 250]);
    const a = engine();
    const ca = collect();
    v.forEach((x, i) => {
      a.process(3, i * 1000, x, ca.out);
    });

    const b = engine();
    const cb = collect();
    v.slice(0, 120).forEach((x, i) => {
      b.process(3, i * 1000, x, cb.out);
    });
    const states = b.takeDirtyStates();
    expect(b.takeDirtyStates().size).toBe(0);
    const c = engine();
    c.restore(new Map([...states].map(([k, s]) => [k, JSON.parse(JSON.stringify(s))])));
    v.slice(120).forEach((x, i) => {
      c.process(3, (i + 120) * 1000, x, cb.out);
    });
    expect(cb.points.map((p) => p.p)).toEqual(ca.points.map((p) => p.p));
  });

  it('setConfig validates the detector and restarts the series', () => {
    const c = collect();
    const e = engine();
    for (let i = 0; i < 10; i++) e.process(1, i, 10, c.out);
    expect(() => e.setConfig(1, rawConfig('nope', {}, 0.9), c.out)).toThrow(/unknown detector/);
    e.setConfig(1, rawConfig('ewma', { alpha: 0.5, bandSigmas: 3, warmup: 1, minStd: 0 }, 0.5), c.out);
    expect(e.configOf(1).pipeline.threshold).toBe(0.5);
    e.process(1, 100, 10, c.out);
    expect(Number.isNaN(c.points[c.points.length - 1]!.p.expected)).toBe(true);
  });
});
