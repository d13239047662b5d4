/**
 * Per-row weights ("sweep scores"): what row i would add to a file's score if it were a
 * detection. They depend on the row's position relative to the label windows and on the
 * profile, never on the detector.
 *
 * - Inside a window [l, r] of width w: A_TP·σ(−(r−i+1)/w)/σmax, from A_TP at the first row
 *   down to a small positive value at the last.
 * - Outside, after a window [l, r]: A_FP·σ((i−r)/(w−1)), a false positive that costs little
 *   right after the window and the full A_FP from 3·(w−1) rows on. Only the preceding window
 *   counts.
 * - Outside, with no window before: −A_FP.
 */
import type { NabProfile } from './profile.ts';
import { SIGMOID_MAX, scaledSigmoid } from './sigmoid.ts';
import type { LabelWindow } from './window.ts';

export interface RowWeights {
  /** s_i for every row of the file, probationary rows included. */
  readonly weight: Float64Array;
  /** Index of the window holding the row, or −1 outside every window. */
  readonly window: Int32Array;
}

export function rowWeights(length: number, windows: readonly LabelWindow[], profile: NabProfile): RowWeights {
  const weight = new Float64Array(length);
  const window = new Int32Array(length).fill(-1);
  let next = 0;
  let previous: LabelWindow | undefined;
  for (let i = 0; i < length; i++) {
    while (next < windows.length && windows[next]!.end < i) previous = windows[next++];
    const w = windows[next];
    if (w !== undefined && w.start <= i) {
      const width = w.end - w.start + 1;
      weight[i] = (profile.tpWeight * scaledSigmoid(-(w.end - i + 1) / width)) / SIGMOID_MAX;
      window[i] = next;
    } else if (previous !== undefined) {
      // A window one row wide divides by zero here; y = +∞ then costs the full A_FP.
      weight[i] = profile.fpWeight * scaledSigmoid((i - previous.end) / (previous.end - previous.start));
    } else {
      weight[i] = -profile.fpWeight;
    }
  }
  return { weight, window };
}
