import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { windowedGaussian } from '../../../../../src/core/detectors/windowed-gaussian/windowed-gaussian.ts';
import { NAB_RESULTS, sharedAbsent } from '../../../../helpers/datasets.ts';

describe('windowed-gaussian', () => {
  // NAB's windowedGaussian scores 1 − Q(|z|) ∈ [0.5, 1); ours is the two-sided 1 − 2Q(|z|).
  it
    .skipIf(sharedAbsent(`${NAB_RESULTS}/windowedGaussian`))
    .each([
      'realKnownCause/machine_temperature_system_failure.csv',
      'realAWSCloudwatch/ec2_cpu_utilization_24ae8d.csv',
    ])("reproduces NAB's stored scores with warmup 1: %s", (file) => {
    const [cat, name] = file.split('/');
    const text = gunzipSync(
      readFileSync(`${NAB_RESULTS}/windowedGaussian/${cat}/windowedGaussian_${name}.gz`),
    ).toString();
    const [header, ...lines] = text.trim().split('\n');
    const cols = header!.split(',');
    const [kv, ks] = ['value', 'anomaly_score'].map((c) => cols.indexOf(c));
    const d = windowedGaussian.create({ ...windowedGaussian.defaults, warmup: 1 });
    let worst = 0;
    lines.forEach((line, i) => {
      const c = line.split(',');
      const v = Number(c[kv!]);
      const ours = d.score(i, v).score;
      d.update(i, v);
      if (i > 0) worst = Math.max(worst, Math.abs((ours + 1) / 2 - Number(c[ks!])));
    });
    // The erf approximation in math/normal.ts is good to 1.5e-7.
    expect(worst).toBeLessThan(2e-7);
  });

  it('slides in blocks once full: the reference stays put within a step', () => {
    const d = windowedGaussian.create({ window: 4, step: 2, bandSigmas: 1, warmup: 1, minStd: 0 });
    for (const v of [1, 2, 3, 4]) d.update(0, v);
    expect(d.score(0, 0).expected).toBe(2.5);
    d.update(0, 100);
    expect(d.score(0, 0).expected).toBe(2.5);
    d.update(0, 200);
    // Window is now [3, 4, 100, 200].
    expect(d.score(0, 0).expected).toBe(76.75);
  });
});
