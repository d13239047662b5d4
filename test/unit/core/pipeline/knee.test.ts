import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import { VigilError } from '../../../../src/core/errors.ts';
import { throughKnee } from '../../../../src/core/pipeline/calibrators/knee.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';

const pipelines = pipelinesOf(builtinDetectors());

describe('the knee calibration', () => {
  it('puts the knee at 0.5, keeps 0 and 1, and is linear on each side', () => {
    expect(throughKnee(0.057, 0.057)).toBe(0.5);
    expect(throughKnee(0, 0.057)).toBe(0);
    expect(throughKnee(1, 0.057)).toBe(1);
    expect(throughKnee(0.0285, 0.057)).toBeCloseTo(0.25, 12);
    expect(throughKnee(0.3, 0.057)).toBeCloseTo(0.5 + (0.5 * (0.3 - 0.057)) / 0.943, 12);
    // Clamped like `none`: NaN and negatives are 0, above 1 is 1.
    expect(throughKnee(Number.NaN, 0.057)).toBe(0);
    expect(throughKnee(-0.2, 0.057)).toBe(0);
    expect(throughKnee(3, 0.057)).toBe(1);
  });

  it('keeps the order of scores (rankings and NAB sweeps are unchanged by it)', () => {
    let last = -1;
    for (let i = 0; i <= 1000; i++) {
      const y = throughKnee(i / 1000, 0.057);
      expect(y).toBeGreaterThanOrEqual(last);
      last = y;
    }
  });

  it("is the default pipeline's calibration: its threshold 0.5 is the events' 0.057", () => {
    const vigil = pipelines.named('default');
    expect(vigil).toMatchObject({ calibration: { name: 'knee', knee: 0.057 }, threshold: 0.5 });
    const p = pipelines.create(vigil);
    // Stateless: a score of a point leaves nothing to restore but the stage tag.
    expect(p.snapshot().calibration).toEqual({ stage: 'knee', version: 1, data: null });
  });

  it('refuses a knee outside (0, 1), naming the field', () => {
    for (const knee of [0, 1, 1.5]) {
      try {
        pipelines.resolve({ detector: { name: 'ewma' }, calibration: { name: 'knee', knee } });
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(VigilError);
        expect((e as Error).message).toMatch(/^calibration\.knee: /);
      }
    }
  });
});
