/**
 * Threshold optimisation across the corpus. One threshold per (detector, profile) is shared by
 * every file and chosen to maximise the corpus's raw score. The candidates are every distinct
 * anomaly score on a scorable row plus 1.1 ("no detections"); on an exact tie the largest
 * threshold wins.
 *
 * The sweep is exact and O(N log N) once, O(N) per profile: the scorable rows of all files are
 * ranked by score once (`rankRows`), then each profile walks them from the highest score down,
 * adding one row at a time as a detection and updating the total incrementally. Rows with equal
 * scores enter together, so the total recorded before each new value is S(θ) at that value.
 */
import { CompensatedSum } from './compensated-sum.ts';
import { assertScores, type NabFile } from './nab-file.ts';
import { probationOf } from './probation.ts';
import type { NabProfile } from './profile.ts';
import { rowWeights } from './row-weight.ts';

/** The threshold that detects nothing, since anomaly scores lie in [0, 1]. */
export const NO_DETECTION_THRESHOLD = 1.1;

/** The corpus's scorable rows (i ≥ probation) ranked by anomaly score, for any profile. */
export interface RankedRows {
  readonly files: readonly NabFile[];
  /** Anomaly scores in descending order. */
  readonly score: Float64Array;
  /** Where each ranked row sits in the files' scorable rows laid end to end, in file order. */
  readonly position: Uint32Array;
}

export interface ThresholdSweep {
  /** The optimal threshold θ* and the corpus raw score S(θ*). */
  readonly threshold: number;
  readonly score: number;
  /** Every candidate, descending from 1.1, with its S(θ). */
  readonly thresholds: Float64Array;
  readonly scores: Float64Array;
}

/** Ranks the scorable rows of `files` by `scores[f]` (checked: one per row, in [0, 1]). */
export function rankRows(files: readonly NabFile[], scores: readonly ArrayLike<number>[]): RankedRows {
  let total = 0;
  for (const [f, file] of files.entries()) {
    assertScores(file, scores[f]!);
    total += Math.max(file.length - probationOf(file), 0);
  }
  const values = new Float64Array(total);
  let p = 0;
  for (const [f, file] of files.entries()) {
    const s = scores[f]!;
    // `+ 0` turns −0 into 0, whose bits sort first.
    for (let i = probationOf(file); i < file.length; i++) values[p++] = s[i]! + 0;
  }
  const order = radixOrder(values);
  const score = new Float64Array(total);
  const position = new Uint32Array(total);
  for (let k = 0; k < total; k++) {
    const at = order[total - 1 - k]!;
    score[k] = values[at]!;
    position[k] = at;
  }
  return { files, score, position };
}

/** Sweeps every candidate threshold for one profile and returns the optimum and the curve. */
export function sweepThresholds(ranked: RankedRows, profile: NabProfile): ThresholdSweep {
  const n = ranked.score.length;
  const weight = new Float64Array(n);
  const windowOf = new Int32Array(n);
  let base = 0;
  let windowBase = 0;
  const total = new CompensatedSum();
  for (const file of ranked.files) {
    const rows = rowWeights(file.length, file.windows, profile);
    const probation = probationOf(file);
    for (let i = probation; i < file.length; i++, base++) {
      weight[base] = rows.weight[i]!;
      windowOf[base] = rows.window[i]! < 0 ? -1 : windowBase + rows.window[i]!;
    }
    for (const w of file.windows) if (w.end >= probation) total.add(-profile.fnWeight);
    windowBase += file.windows.length;
  }
  const part = new Float64Array(windowBase).fill(-profile.fnWeight);
  // At most one candidate per ranked row, plus 1.1.
  const thresholds = new Float64Array(n + 1);
  const totals = new Float64Array(n + 1);
  thresholds[0] = NO_DETECTION_THRESHOLD;
  totals[0] = total.value;
  let candidates = 1;
  const { score, position } = ranked;
  for (let k = 0; k < n; k++) {
    if (k > 0 && score[k] !== score[k - 1]) {
      thresholds[candidates] = score[k - 1]!;
      totals[candidates++] = total.value;
    }
    const p = position[k]!;
    const s = weight[p]!;
    const w = windowOf[p]!;
    if (w < 0) {
      total.add(s);
    } else if (s > part[w]!) {
      total.add(-part[w]!);
      total.add(s);
      part[w] = s;
    }
  }
  if (n > 0) {
    thresholds[candidates] = score[n - 1]!;
    totals[candidates++] = total.value;
  }
  let best = 0;
  for (let c = 1; c < candidates; c++) if (totals[c]! > totals[best]!) best = c;
  return {
    threshold: thresholds[best]!,
    score: totals[best]!,
    thresholds: thresholds.slice(0, candidates),
    scores: totals.slice(0, candidates),
  };
}

/**
 * Indices of `values` in ascending order. For non-negative doubles the IEEE 754 bit pattern,
 * read as an unsigned integer, orders exactly like the number, so an LSD radix sort over four
 * 16-bit digits sorts exactly, in O(N), with no comparator calls. Equal values stay together.
 */
function radixOrder(values: Float64Array): Uint32Array {
  const n = values.length;
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  // Which 32-bit word of a double holds its high half depends on the platform's byte order.
  const hi = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 1 : 0;
  let order = new Uint32Array(n);
  for (let k = 0; k < n; k++) order[k] = k;
  let next = new Uint32Array(n);
  const count = new Uint32Array(1 << 16);
  for (let digit = 0; digit < 4; digit++) {
    const word = digit < 2 ? 1 - hi : hi;
    const shift = (digit & 1) * 16;
    count.fill(0);
    for (let k = 0; k < n; k++) count[(words[2 * k + word]! >>> shift) & 0xffff]!++;
    if (count[(words[word]! >>> shift) & 0xffff] === n) continue; // one bucket: nothing to do
    let sum = 0;
    for (let d = 0; d < count.length; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      next[count[(words[2 * i + word]! >>> shift) & 0xffff]!++] = i;
    }
    [order, next] = [next, order];
  }
  return order;
}
