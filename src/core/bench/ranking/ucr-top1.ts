/**
 * The UCR anomaly archive's own metric (KDD Cup 2021): a series is solved when the single
 * highest-scoring point of its test part lies within `UCR_TOLERANCE` points of the labelled
 * anomaly, i.e. in [begin − 100, end + 100]. The training part (rows before `trainPoints`) is
 * history only: its scores never count. Among equal top scores the earliest point is the location,
 * and how many points share it is reported, since a detector that saturates can tie many.
 */
import type { LabelWindow } from '../nab/window.ts';

export const UCR_TOLERANCE = 100;

export interface UcrTop1 {
  /** Row of the highest score in the test part (0-based). */
  readonly location: number;
  /** Points of the test part with that same score (1 when it is unique). */
  readonly ties: number;
  readonly solved: boolean;
}

/** Locates the top score of `scores` at rows ≥ `trainPoints` and judges it against `anomaly`. */
export function ucrTop1(scores: ArrayLike<number>, trainPoints: number, anomaly: LabelWindow): UcrTop1 {
  if (!Number.isInteger(trainPoints) || trainPoints < 0 || trainPoints >= scores.length) {
    throw new RangeError(`train_points ${trainPoints} leaves no test part in ${scores.length} points`);
  }
  let location = trainPoints;
  let ties = 0;
  for (let i = trainPoints; i < scores.length; i++) {
    const s = scores[i]!;
    if (Number.isNaN(s)) throw new RangeError(`score ${i} is NaN`);
    if (s > scores[location]!) {
      location = i;
      ties = 1;
    } else if (s === scores[location]) {
      ties++;
    }
  }
  const solved = location >= anomaly.start - UCR_TOLERANCE && location <= anomaly.end + UCR_TOLERANCE;
  return { location, ties, solved };
}
