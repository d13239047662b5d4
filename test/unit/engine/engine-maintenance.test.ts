/**
 * Engine.setMaintenance: points inside a series' maintenance window are scored without learning,
 * stored, raise no anomaly; after the window the series goes on from its state before it.
 */
import { describe, expect, it } from 'vitest';
import type { MaintenanceWindow } from '../../../src/core/alerting/maintenance.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import type { SeriesConfig } from '../../../src/core/series-config.ts';
import { Engine, type EngineOutput } from '../../../src/engine/engine.ts';

const config: SeriesConfig = {
  pipeline: {
    detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
    calibration: { name: 'none' },
    threshold: 0.999,
    postRules: [],
  },
};

const engine = () => new Engine({ registry: builtinDetectors(), defaults: config, allowedLatenessMs: 0 });

/** Series 1: level 10 before t = 100 s, then a level shift to 50 that lasts. */
const valueAt = (i: number) => (i < 100 ? 10 : 50) + Math.sin(i) * 0.5;

interface Collected {
  points: ScoredPoint[];
  anomalies: Anomaly[];
  paused: number[];
}

function run(e: Engine, from: number, to: number, into: Collected): void {
  const out: EngineOutput = {
    point: (_s, p) => into.points.push(p),
    anomaly: (a) => into.anomalies.push(a),
    rejected: () => {},
    learningPaused: (_s, ts) => into.paused.push(ts),
  };
  for (let i = from; i < to; i++) e.process(1, i * 1000, valueAt(i), out);
}

const collected = (): Collected => ({ points: [], anomalies: [], paused: [] });
/** The window: [100 s, 200 s), the whole of the shift's first 100 points. */
const WINDOW: MaintenanceWindow = { id: 'w1', startsAt: 100_000, endsAt: 200_000 };
const pipelineOf = (e: Engine) => JSON.parse(e.takeDirtyStates().get(1)!).pipeline;

describe('Engine maintenance windows', () => {
  it('leaves the pipeline state as it was before the window; every point is still emitted', () => {
    const e = engine();
    e.setMaintenance(new Map([[1, [WINDOW]]]));
    const c = collected();
    run(e, 0, 100, c);
    const before = pipelineOf(e);
    run(e, 100, 200, c);
    expect(pipelineOf(e)).toEqual(before);
    expect(c.points).toHaveLength(200);
    expect(c.paused).toEqual(Array.from({ length: 100 }, (_, i) => (100 + i) * 1000));
    // Judged against the old level (high score), yet neither flagged nor raised as an anomaly.
    expect(c.points[100]!.score).toBeGreaterThan(0.999);
    expect(c.points.slice(100).every((p) => !p.anomalous)).toBe(true);
    expect(c.anomalies).toEqual([]);
  });

  it('a level shift inside the window is flagged after it; without the window it is learnt', () => {
    const paused = engine();
    paused.setMaintenance(new Map([[1, [WINDOW]]]));
    const withWindow = collected();
    run(paused, 0, 210, withWindow);
    expect(withWindow.points[200]!.anomalous).toBe(true);
    expect(withWindow.anomalies[0]).toMatchObject({ start: 200_000, direction: 'up' });

    const learning = engine();
    const without = collected();
    run(learning, 0, 210, without);
    expect(without.points[100]!.anomalous).toBe(true);
    expect(without.points[200]!.anomalous).toBe(false);
  });

  it('closes an anomaly run open when the window begins, and a cleared set resumes learning', () => {
    const e = engine();
    const c = collected();
    run(e, 0, 101, c);
    expect(c.anomalies.at(-1)).toMatchObject({ start: 100_000, open: true });
    e.setMaintenance(new Map([[1, [{ id: 'w', startsAt: 101_000, endsAt: 150_000 }]]]));
    run(e, 101, 102, c);
    expect(c.anomalies.at(-1)).toMatchObject({ start: 100_000, open: false, end: 100_000 });
    e.setMaintenance(new Map());
    const before = pipelineOf(e);
    run(e, 102, 103, c);
    expect(pipelineOf(e)).not.toEqual(before);
    expect(c.paused).toEqual([101_000]);
  });

  it('a series restored from a checkpoint takes its windows; other series are untouched', () => {
    const e = engine();
    const c = collected();
    run(e, 0, 100, c);
    const restored = engine();
    restored.setMaintenance(new Map([[1, [WINDOW]]]));
    restored.restore(e.takeDirtyStates());
    const after = collected();
    run(restored, 100, 101, after);
    expect(after.paused).toEqual([100_000]);
    const other: EngineOutput = {
      point: () => {},
      anomaly: () => {},
      rejected: () => {},
      learningPaused: () => {
        throw new Error('series 2 has no window');
      },
    };
    restored.process(2, 150_000, 1, other);
  });
});
