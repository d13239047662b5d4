/**
 * Named presets: pipelines chosen by measurement on NAB (docs/detectors.md), declared like any
 * other. `default` is the one a series gets unless configured otherwise. Each ends with the
 * `feedback` stage (post-rules/feedback.ts), so people's labels change what it flags.
 */
import type { PipelineDeclaration } from './declaration.ts';

/**
 * `vigil`: ARTime and new-extreme events corroborated by the likelihood-calibrated ensemble
 * (detectors/vigil/vigil-events.ts). Its events are already calibrated; their NAB standard-profile
 * optimum in strict mode (production: no hints) is 0.057, inside the evidence tier (≤ tierWeight),
 * so the `knee` calibration maps 0.057 to 0.5 and the threshold is 0.5, the same as every
 * calibrated pipeline's and the strict optimum (issue 15); bench/results/nab-vigil-*.json.
 */
const vigil: PipelineDeclaration = {
  name: 'vigil',
  detector: { name: 'vigil-events' },
  calibration: { name: 'knee', knee: 0.057 },
  threshold: 0.5,
  postRules: [{ name: 'feedback' }],
};

/**
 * `vigil2`: the default's events and shape discords in one score that ranks
 * (detectors/vigil/vigil-rank.ts): events above 0.5, an afterglow and a shape rank under it, shape
 * discords never seen before above every event. Its threshold 0.5 is the events' strict-mode NAB
 * optimum (the detector's `knee`); bench/README.md, "A default that ranks".
 */
const vigil2: PipelineDeclaration = {
  name: 'vigil2',
  detector: { name: 'vigil-rank' },
  calibration: { name: 'none' },
  threshold: 0.5,
  postRules: [{ name: 'feedback' }],
};

/**
 * `fast`: the light preset, for when `vigil` is too heavy: ≥ 200,000 points/s on one thread and a
 * few KB of state per series. Windowed Gaussian + relative entropy (weighted max) → bounded-state
 * anomaly likelihood with NAB's new-extreme rule → soft refractory. NAB standard-profile optimum:
 * 0.49 (nab mode), 0.50 (strict); bench/results/nab-fast-*.json.
 */
const fast: PipelineDeclaration = {
  name: 'fast',
  detector: {
    name: 'ensemble',
    params: { detectors: [{ name: 'windowed-gaussian' }, { name: 'relative-entropy' }], combine: 'max' },
  },
  calibration: { name: 'lite-likelihood' },
  threshold: 0.5,
  postRules: [{ name: 'softRefractory', level: 0.5, tau: 30 }, { name: 'feedback' }],
};

export const PRESETS: ReadonlyMap<string, PipelineDeclaration> = new Map([
  ['vigil', vigil],
  ['vigil2', vigil2],
  ['fast', fast],
  ['default', { ...vigil, name: 'vigil' }],
]);
