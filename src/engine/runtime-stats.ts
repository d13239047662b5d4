/** Counters of the detection runtime, per partition task or summed over a host's tasks. */
import type { RejectReason } from './engine.ts';

export interface RuntimeStats {
  /** Points handed to the task host (durable in the log) so far. */
  pointsAccepted: number;
  pointsScored: number;
  pointsLate: number;
  /** Points scored in a maintenance window of their series, not learned from. */
  pointsLearningPaused: number;
  anomaliesOpened: number;
  rejected: Record<RejectReason, number>;
  checkpoints: number;
  lastCheckpointMs: number;
}

export function emptyStats(): RuntimeStats {
  return {
    pointsAccepted: 0,
    pointsScored: 0,
    pointsLate: 0,
    pointsLearningPaused: 0,
    anomaliesOpened: 0,
    rejected: { too_late: 0, duplicate: 0 },
    checkpoints: 0,
    lastCheckpointMs: 0,
  };
}

/** Adds `s` to `into` (the last checkpoint's duration: the longest of them). */
export function addStats(into: RuntimeStats, s: RuntimeStats): void {
  into.pointsAccepted += s.pointsAccepted;
  into.pointsScored += s.pointsScored;
  into.pointsLate += s.pointsLate;
  into.pointsLearningPaused += s.pointsLearningPaused;
  into.anomaliesOpened += s.anomaliesOpened;
  into.rejected.too_late += s.rejected.too_late;
  into.rejected.duplicate += s.rejected.duplicate;
  into.checkpoints += s.checkpoints;
  into.lastCheckpointMs = Math.max(into.lastCheckpointMs, s.lastCheckpointMs);
}
