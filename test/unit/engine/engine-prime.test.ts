import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { Engine, type EngineOutput, type RejectReason } from '../../../src/engine/engine.ts';
import { rawConfig } from '../../helpers/series-config.ts';

function collect() {
  const points: ScoredPoint[] = [];
  const anomalies: Anomaly[] = [];
  const rejected: { reason: RejectReason; ts: number }[] = [];
  const out: EngineOutput = {
    point: (_sid, p) => points.push(p),
    anomaly: (a) => anomalies.push(a),
    rejected: (reason, _sid, ts) => rejected.push({ reason, ts }),
  };
  return { out, points, anomalies, rejected };
}

const DEFAULTS = rawConfig('ewma', { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 }, 0.999);
/** A detector on probation: silent for its first 50 points. */
const PROBATION = rawConfig('ewma', { alpha: 0.05, bandSigmas: 4, warmup: 50, minStd: 1e-9 }, 0.999);

function engine(primeReplayMax = 0, lateness = 10_000) {
  return new Engine({
    registry: builtinDetectors(),
    defaults: DEFAULTS,
    allowedLatenessMs: lateness,
    primeReplayMax,
  });
}

/** Points one second apart from t0, a gentle wave with spikes at the given indexes. */
function history(n: number, t0 = 1_000_000, spikes: number[] = []): { ts: number; value: number }[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: t0 + i * 1000,
    value: spikes.includes(i) ? 100 : 10 + Math.sin(i / 3),
  }));
}

function feed(e: Engine, sid: number, points: readonly { ts: number; value: number }[], out: EngineOutput) {
  for (const p of points) e.process(sid, p.ts, p.value, out);
}

describe('Engine.prime', () => {
  it('primed then live scores exactly like the same history streamed live, and emits nothing while priming', () => {
    const all = history(300, 1_000_000, [100, 101, 200]);
    const [past, rest] = [all.slice(0, 200), all.slice(200)];
    const live = engine();
    const liveOut = collect();
    feed(live, 7, past, liveOut.out);
    expect(liveOut.anomalies.length).toBeGreaterThan(0);
    const liveRest = collect();
    feed(live, 7, rest, liveRest.out);

    const primed = engine();
    expect(primed.prime(7, past)).toBe(200);
    expect(primed.seriesCount).toBe(1);
    const c = collect();
    feed(primed, 7, rest, c.out);
    expect(c.points).toEqual(liveRest.points);
    expect(c.anomalies).toEqual(liveRest.anomalies);
    expect(c.rejected).toEqual([]);
  });

  it('advances the clock: later live points are admitted against the newest primed one', () => {
    const e = engine(0, 5_000);
    e.prime(1, history(20));
    const last = 1_000_000 + 19 * 1000;
    const c = collect();
    e.process(1, last, 10, c.out); // a primed timestamp again: a duplicate of a recent point
    e.process(1, last - 10_000, 10, c.out); // beyond the allowed lateness
    e.process(1, last - 2500, 10, c.out); // late but allowed: scored, not learnt
    expect(c.rejected).toEqual([
      { reason: 'duplicate', ts: last },
      { reason: 'too_late', ts: last - 10_000 },
    ]);
    expect(c.points.map((p) => p.ts)).toEqual([last - 2500]);
  });

  it('skips points out of time order, repeated timestamps and non-finite values', () => {
    const e = engine();
    const h = history(10);
    const messy = [h[0]!, h[2]!, h[1]!, h[2]!, { ts: h[3]!.ts, value: Number.NaN }, h[4]!];
    expect(e.prime(3, messy)).toBe(3);
    const ref = engine();
    ref.prime(3, [h[0]!, h[2]!, h[4]!]);
    const [a, b] = [collect(), collect()];
    feed(e, 3, h.slice(5), a.out);
    feed(ref, 3, h.slice(5), b.out);
    expect(a.points).toEqual(b.points);
  });

  it('a checkpoint taken after a prime restores the primed state', () => {
    const all = history(260, 1_000_000, [240]);
    const e = engine();
    e.prime(2, all.slice(0, 200));
    const states = e.takeDirtyStates();
    expect(states.has(2)).toBe(true);
    const restored = engine();
    restored.restore(states);
    const [a, b] = [collect(), collect()];
    feed(e, 2, all.slice(200), a.out);
    feed(restored, 2, all.slice(200), b.out);
    expect(b.points).toEqual(a.points);
    expect(b.anomalies).toEqual(a.anomalies);
    expect(b.anomalies.length).toBeGreaterThan(0);
  });

  it('after setConfig, a series on probation flags a spike at once when primed, stays silent when not', () => {
    const all = history(260, 1_000_000, [205]);
    const run = (prime: boolean) => {
      const e = engine(1000);
      const c = collect();
      feed(e, 1, all.slice(0, 200), c.out);
      e.setConfig(1, PROBATION, c.out);
      if (prime) e.prime(1, all.slice(0, 200));
      const after = collect();
      feed(e, 1, all.slice(200), after.out);
      return after.anomalies.filter((a) => a.start === all[205]!.ts);
    };
    expect(run(true).length).toBeGreaterThan(0);
    expect(run(false)).toEqual([]);
  });

  it('a prime after live points of the new pipeline puts the history before them (kept, then relearnt)', () => {
    const all = history(300, 1_000_000, [150]);
    // The reference: primed the moment the config changed.
    const ref = engine(1000);
    const refOut = collect();
    feed(ref, 1, all.slice(0, 200), refOut.out);
    ref.setConfig(1, PROBATION, refOut.out);
    expect(ref.primeBefore(1)).toBe(all[199]!.ts + 1);
    ref.prime(1, all.slice(0, 200));
    feed(ref, 1, all.slice(200, 220), refOut.out);

    // The store read took a while: 20 live points came first, and the history read reaches into them.
    const e = engine(1000);
    const c = collect();
    feed(e, 1, all.slice(0, 200), c.out);
    e.setConfig(1, PROBATION, c.out);
    feed(e, 1, all.slice(200, 220), c.out);
    expect(e.primeBefore(1)).toBe(all[200]!.ts);
    expect(e.prime(1, all.slice(0, 220))).toBe(200);
    expect(e.primeBefore(1)).toBeNull();

    const [a, b] = [collect(), collect()];
    feed(ref, 1, all.slice(220), a.out);
    feed(e, 1, all.slice(220), b.out);
    expect(b.points).toEqual(a.points);
    expect(JSON.stringify([...e.takeDirtyStates()])).toBe(JSON.stringify([...ref.takeDirtyStates()]));
  });

  it('without kept live points, a pipeline that learnt since the change is not primed', () => {
    const all = history(230);
    for (const max of [0, 10]) {
      const e = engine(max);
      const c = collect();
      feed(e, 1, all.slice(0, 200), c.out);
      e.setConfig(1, PROBATION, c.out);
      feed(e, 1, all.slice(200, 230), c.out); // 30 > 10 kept at most
      expect(e.primeBefore(1)).toBeNull();
      expect(e.prime(1, all.slice(0, 200))).toBe(0);
    }
  });

  it('a restored pipeline is not primed again; a series without a task gets none from an empty prime', () => {
    const e = engine(1000);
    const c = collect();
    feed(e, 1, history(50), c.out);
    const restored = engine(1000);
    restored.restore(e.takeDirtyStates());
    expect(restored.primeBefore(1)).toBeNull();
    expect(restored.prime(1, history(10, 0))).toBe(0);

    expect(restored.primeBefore(9)).toBe(Number.POSITIVE_INFINITY);
    expect(restored.prime(9, [])).toBe(0);
    expect(restored.seriesCount).toBe(1);
  });

  it('a config set before the series had a task keeps its first live points for the prime', () => {
    const all = history(230, 1_000_000, [215]);
    const ref = engine(1000);
    ref.setConfig(4, PROBATION, collect().out);
    ref.prime(4, all.slice(0, 200));
    const e = engine(1000);
    e.setConfig(4, PROBATION, collect().out);
    feed(e, 4, all.slice(200, 210), collect().out);
    expect(e.prime(4, all.slice(0, 200))).toBe(200);
    feed(ref, 4, all.slice(200, 210), collect().out);
    const [a, b] = [collect(), collect()];
    feed(ref, 4, all.slice(210), a.out);
    feed(e, 4, all.slice(210), b.out);
    expect(b.points).toEqual(a.points);
    expect(b.anomalies.length).toBeGreaterThan(0);
  });

  it('a series restored under another pipeline is handed out for a warm start, and its replayed points are relearnt after the history', () => {
    const all = history(240, 1_000_000, [225]);
    // Saved under DEFAULTS; the engine that restores it runs PROBATION for every series.
    const before = engine(1000);
    feed(before, 6, all.slice(0, 200), collect().out);
    const states = before.takeDirtyStates();
    const e = new Engine({
      registry: builtinDetectors(),
      defaults: PROBATION,
      allowedLatenessMs: 10_000,
      primeReplayMax: 1000,
    });
    e.restore(states);
    // The log replay after the checkpoint: scored by the fresh pipeline and kept for the prime.
    feed(e, 6, all.slice(200, 210), collect().out);
    expect(e.takeRestoredAfresh()).toEqual([6]);
    expect(e.takeRestoredAfresh()).toEqual([]);
    expect(e.primeBefore(6)).toBe(all[200]!.ts);
    expect(e.prime(6, all.slice(0, 200))).toBe(200);
    // The reference: PROBATION primed with the same 200 points, then the replayed 10 learnt live.
    const ref = new Engine({ registry: builtinDetectors(), defaults: PROBATION, allowedLatenessMs: 10_000 });
    ref.prime(6, all.slice(0, 200));
    feed(ref, 6, all.slice(200, 210), collect().out);
    const [a, b] = [collect(), collect()];
    feed(ref, 6, all.slice(210), a.out);
    feed(e, 6, all.slice(210), b.out);
    expect(b.points).toEqual(a.points);
    expect(b.anomalies.length).toBeGreaterThan(0);
    // Restored under its own pipeline, nothing is handed out.
    const same = engine(1000);
    same.restore(states);
    expect(same.takeRestoredAfresh()).toEqual([]);
  });

  it('a deleted series is not primed', () => {
    const e = engine();
    e.deleteSeries([5]);
    expect(e.primeBefore(5)).toBeNull();
    expect(e.prime(5, history(10))).toBe(0);
    expect(e.seriesCount).toBe(0);
  });
});
