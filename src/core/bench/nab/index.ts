/** NAB scoring math (pure): windows, weights, per-file and corpus scores, threshold sweep, normalisation. */
export { type AlarmRate, alarmRate } from './alarm-rate.ts';
export { CompensatedSum } from './compensated-sum.ts';
export { type CorpusScore, scoreCorpus } from './corpus-score.ts';
export { type DetectionCounts, type FileScore, scoreFile } from './file-score.ts';
export { assertScores, type NabFile } from './nab-file.ts';
export { normaliseScore, type ScoreRange, scoreRange } from './normalise.ts';
export { PROBATIONARY_FRACTION, probationaryLength, probationOf } from './probation.ts';
export {
  NAB_PROFILE_NAMES,
  NAB_PROFILES,
  type NabProfile,
  type NabProfileName,
  profilesFromJson,
} from './profile.ts';
export { type RowWeights, rowWeights } from './row-weight.ts';
export { type ProfileResult, scoreDetector } from './score-detector.ts';
export { SIGMOID_MAX, scaledSigmoid } from './sigmoid.ts';
export {
  NO_DETECTION_THRESHOLD,
  type RankedRows,
  rankRows,
  sweepThresholds,
  type ThresholdSweep,
} from './threshold-sweep.ts';
export { assertWindows, type LabelWindow, WINDOW_FRACTION, windowsFromAnomalies } from './window.ts';
