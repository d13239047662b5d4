/** The simulated operator of `vigil bench nab --feedback`: labels from the windows, after the delay. */
import { describe, expect, it } from 'vitest';
import {
  defaultFeedbackDelay,
  runWithFeedback,
} from '../../../../../src/core/bench/nab/feedback-operator.ts';
import { builtinDetectors } from '../../../../../src/core/detectors/index.ts';
import { pipelinesOf } from '../../../../../src/core/pipeline/pipelines.ts';

const pipelines = pipelinesOf(builtinDetectors());
const declaration = pipelines.resolve({
  detector: { name: 'ewma' },
  calibration: { name: 'none' },
  postRules: [{ name: 'feedback' }],
});

/** 400 points of a gentle wave with spikes at the given rows. */
function stream(spikes: Record<number, number>) {
  const ts = new Float64Array(400);
  const values = new Float64Array(400);
  for (let i = 0; i < 400; i++) {
    ts[i] = i * 60_000;
    values[i] = spikes[i] ?? 10 + Math.sin(i / 5) + (i % 7) * 0.05;
  }
  return { ts, values };
}

describe('the simulated operator', () => {
  it('labels a report only once the delay has passed, from the windows, and the pipeline learns it', () => {
    const { ts, values } = stream({ 100: 500, 120: 500, 200: 500, 300: 800 });
    const windows = [{ start: 290, end: 310 }];
    const p = pipelines.create(declaration);
    const r = runWithFeedback(p, ts, values, windows, 50);
    const flagged = (i: number) => r.scores[i]! >= declaration.threshold;
    // 120 is reported: the label on 100 is not known before row 150.
    expect([100, 120, 200, 300].map(flagged)).toEqual([true, true, false, true]);
    expect(r).toMatchObject({ rejected: 2, confirmed: 1 });
    const learnt = (p.postRuleStates()[0]!.data as { examples: { label: string }[] }).examples;
    expect(learnt.map((e) => e.label)).toEqual(['not_anomaly', 'not_anomaly', 'anomaly']);
  });

  it('without feedback the same spikes are all reported', () => {
    const { ts, values } = stream({ 100: 500, 120: 500, 200: 500, 300: 800 });
    const r = runWithFeedback(pipelines.create(declaration), ts, values, [], Number.POSITIVE_INFINITY);
    expect([100, 120, 200, 300].map((i) => r.scores[i]! >= declaration.threshold)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it("waits one label window of the file by default (NAB's rule)", () => {
    expect(defaultFeedbackDelay(4032, [{ start: 1, end: 2 }])).toBe(403);
    expect(defaultFeedbackDelay(4000, [])).toBe(400);
    expect(
      defaultFeedbackDelay(4000, [
        { start: 1, end: 2 },
        { start: 5, end: 6 },
      ]),
    ).toBe(200);
  });
});
