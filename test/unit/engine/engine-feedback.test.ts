/** Engine.feedback: a series' labels reach its pipeline now, and every pipeline built for it later. */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { FeedbackExample } from '../../../src/core/feedback/label.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import type { SeriesConfig } from '../../../src/core/series-config.ts';
import { Engine, type EngineOutput } from '../../../src/engine/engine.ts';

const config = (threshold: number): SeriesConfig => ({
  pipeline: {
    detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
    calibration: { name: 'none' },
    threshold,
    postRules: [{ name: 'feedback', memory: 0 }],
  },
});

function run(e: Engine, from: number, n: number, spikeAt: number): ScoredPoint[] {
  const points: ScoredPoint[] = [];
  const out: EngineOutput = { point: (_s, p) => points.push(p), anomaly: () => {}, rejected: () => {} };
  for (let i = from; i < from + n; i++)
    e.process(1, i * 1000, i === spikeAt ? 100 : 10 + Math.sin(i) * 0.5, out);
  return points;
}

const LABEL: FeedbackExample = {
  id: 'f1',
  label: 'not_anomaly',
  start: 0,
  peakValue: 100,
  peakExpected: 10,
  peakScore: 1,
};

const engine = () =>
  new Engine({ registry: builtinDetectors(), defaults: config(0.999), allowedLatenessMs: 0 });

describe('Engine.feedback', () => {
  it('sets the labels of a series before its first point, and they survive a config change', () => {
    const e = engine();
    e.feedback(1, [LABEL]);
    expect(e.postRuleStates(1)).toBeUndefined();
    expect(run(e, 0, 50, 40)[40]!.anomalous).toBe(false);
    expect(e.postRuleStates(1)).toMatchObject([{ stage: 'feedback', data: { examples: [{ id: 'f1' }] } }]);
    e.setConfig(1, config(0.998), { point: () => {}, anomaly: () => {}, rejected: () => {} });
    expect(run(e, 50, 50, 90)[40]!.anomalous).toBe(false);
  });

  it('an empty set forgets them; the change is in the next checkpoint and restores', () => {
    const e = engine();
    run(e, 0, 50, -1);
    e.takeDirtyStates();
    e.feedback(1, [LABEL]);
    const states = e.takeDirtyStates();
    expect(states.get(1)).toContain('"f1"');
    const restored = engine();
    restored.restore(states);
    expect(run(restored, 50, 50, 90)[40]!.anomalous).toBe(false);
    restored.feedback(1, []);
    expect(run(restored, 100, 50, 140)[40]!.anomalous).toBe(true);
  });
});
