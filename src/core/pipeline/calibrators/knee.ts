/**
 * `knee`: the raw score (clamped into [0, 1]) through a monotone, piecewise-linear map that puts
 * `knee` at 0.5: [0, knee] → [0, 0.5], [knee, 1] → [0.5, 1]. For a detector that calibrates itself
 * but whose measured optimum threshold is not 0.5 (`vigil`'s events: 0.057, their strict-mode NAB
 * optimum), so that the pipeline's threshold is 0.5 like every calibrated pipeline's, and a score
 * of 0.5 means what it means elsewhere. Order is kept, so rankings (ROC-AUC, AUC-PR, VUS-PR, UCR
 * top-1) and NAB scores over a threshold sweep are unchanged. Stateless.
 */
import Type from 'typebox';
import { type CalibratorKind, clamp01 } from '../calibrator.ts';

export interface KneeParams {
  knee: number;
}

const STATE = { stage: 'knee', version: 1, data: null };

/** `raw` clamped into [0, 1], then [0, knee] → [0, 0.5] and [knee, 1] → [0.5, 1], linearly. */
export function throughKnee(raw: number, knee: number): number {
  const c = clamp01(raw);
  return c <= knee ? (0.5 * c) / knee : 0.5 + (0.5 * (c - knee)) / (1 - knee);
}

export const kneeCalibration: CalibratorKind<KneeParams> = {
  name: 'knee',
  version: 1,
  description:
    'The raw score clamped into [0, 1] through a monotone map that puts `knee` at 0.5: for a self-calibrated detector whose optimum threshold is `knee`.',
  params: Type.Object(
    {
      knee: Type.Number({
        exclusiveMinimum: 0,
        exclusiveMaximum: 1,
        description: 'raw score that maps to 0.5 (the threshold of a calibrated pipeline)',
      }),
    },
    { additionalProperties: false },
  ),
  defaults: { knee: 0.5 },
  maxStateBytes: 64,
  create(params) {
    const { knee } = params;
    return {
      score: (_value, raw) => throughKnee(raw.score, knee),
      step: (_value, raw) => throughKnee(raw.score, knee),
      snapshot: () => STATE,
    };
  },
};
