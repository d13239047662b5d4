import { describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../../../../src/adapters/nab/corpus-loader.ts';
import { causalOracle, rocAuc } from '../../../../../src/core/bench/ranking/index.ts';
import { NAB_DIR } from '../nab/nab-dataset.ts';

describe('causalOracle', () => {
  it('marks each range from its first onset to its end, a range without onset whole', () => {
    const scores = causalOracle(
      12,
      [
        { start: 1, end: 4 },
        { start: 7, end: 10 },
      ],
      [9, 3, 11, 4],
    );
    expect([...scores]).toEqual([0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0]);
    expect([...causalOracle(5, [{ start: 1, end: 2 }])]).toEqual([0, 1, 1, 0, 0]);
  });

  it('its ROC-AUC is 1 when every labelled point follows the onset, and counts earlier ones as ties', () => {
    const ranges = [{ start: 2, end: 5 }];
    const labels = [0, 0, 1, 1, 1, 1, 0, 0];
    expect(rocAuc(causalOracle(8, ranges), labels)).toBe(1);
    // Onset at 4: two positives after it win against all 4 negatives, two before it tie them.
    expect(rocAuc(causalOracle(8, ranges, [4]), labels)).toBe((2 * 1 + 2 * 0.5) / 4);
  });

  it("on NAB's windows, with its labelled anomalies as onsets, the ceiling is about 0.75", async () => {
    const nab = await loadNabCorpus(NAB_DIR);
    const aucs = nab.files
      .filter((f) => f.windows.length > 0)
      .map((f) => {
        const labels = new Uint8Array(f.length);
        for (const w of f.windows) labels.fill(1, w.start, w.end + 1);
        return rocAuc(causalOracle(f.length, f.windows, f.anomalies), labels);
      });
    expect(aucs).toHaveLength(52);
    // An independent count over the JSON label files (Python, timestamps compared as text) gave
    // a mean of 0.75378; with one file's anomalies moved as NAB moved them to build its windows
    // (iio_us-east-1_i-a2eb1cd9_NetworkIn: 0.62698 → 0.75397), 0.75622.
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    expect(mean).toBeCloseTo(0.75622, 4);
    expect(Math.max(...aucs)).toBeCloseTo(0.85423, 4);
  });
});
