/** `none`: the raw score as it is (clamped into [0, 1]), for detectors that calibrate themselves. */
import Type from 'typebox';
import { type CalibratorKind, clamp01 } from '../calibrator.ts';

const STATE = { stage: 'none', version: 1, data: null };

export const noCalibration: CalibratorKind<Record<string, never>> = {
  name: 'none',
  version: 1,
  description: 'The raw score as it is, clamped into [0, 1]: for detectors that calibrate themselves.',
  params: Type.Object({}, { additionalProperties: false }),
  defaults: {},
  maxStateBytes: 64,
  create() {
    return {
      score: (_value, raw) => clamp01(raw.score),
      step: (_value, raw) => clamp01(raw.score),
      snapshot: () => STATE,
    };
  },
};
