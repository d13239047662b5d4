import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AnomalyLikelihood, logLikelihood } from '../../../../src/core/scoring/likelihood.ts';
import { NAB_RESULTS, sharedAbsent } from '../../../helpers/datasets.ts';

/** NAB's stored numenta run: per row the value, HTM's raw score and the final anomaly score. */
function numentaRows(file: string): { value: number; raw: number; score: number }[] {
  const [cat, name] = file.split('/');
  const text = gunzipSync(readFileSync(`${NAB_RESULTS}/numenta/${cat}/numenta_${name}.gz`)).toString();
  const [header, ...lines] = text.trim().split('\n');
  const cols = header!.split(',');
  const [v, r, s] = ['value', 'raw_score', 'anomaly_score'].map((c) => cols.indexOf(c));
  return lines.map((l) => {
    const c = l.split(',');
    return { value: Number(c[v!]), raw: Number(c[r!]), score: Number(c[s!]) };
  });
}

const settings = (p: number) => ({
  learningPeriod: Math.floor(p / 2),
  estimationSamples: p - Math.floor(p / 2),
  historicWindowSize: 8640,
  reestimationPeriod: 100,
  averagingWindow: 10,
});

describe('AnomalyLikelihood', () => {
  it('maps the probation likelihood 0.5 to 0.0301…, as NAB does', () => {
    expect(logLikelihood(0.5)).toBeCloseTo(0.0301029996659, 12);
  });

  // Long files exercise the 8640-record window and its shifting skip; the flat one the null model.
  it
    .skipIf(sharedAbsent(`${NAB_RESULTS}/numenta`))
    .each([
      'realKnownCause/nyc_taxi.csv',
      'realKnownCause/machine_temperature_system_failure.csv',
      'artificialNoAnomaly/art_flatline.csv',
      'realTweets/Twitter_volume_AAPL.csv',
    ])("reproduces NAB's stored numenta scores from its raw scores: %s", (file) => {
    const rows = numentaRows(file);
    const lik = new AnomalyLikelihood(settings(Math.min(Math.floor(0.15 * rows.length), 750)));
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    let worst = 0;
    for (const { value, raw, score } of rows) {
      let s = logLikelihood(lik.update(value, raw));
      // NAB's HTM wrapper: the "spatial anomaly" override (the likelihood still learns the row).
      if (max > min && (value > max + 0.05 * (max - min) || value < min - 0.05 * (max - min))) s = 1;
      min = Math.min(min, value);
      max = Math.max(max, value);
      worst = Math.max(worst, Math.abs(s - score));
    }
    expect(worst).toBeLessThan(1e-10);
  });

  it('probe() predicts update() and changes nothing; snapshots restore exactly', () => {
    const a = new AnomalyLikelihood({ ...settings(200), historicWindowSize: 300 });
    const raws = Array.from({ length: 1500 }, (_, i) => (i % 97 === 0 ? 1 : ((i * 7919) % 100) / 400));
    for (let i = 0; i < raws.length; i++) {
      if (i === 777) {
        const b = new AnomalyLikelihood(
          { ...settings(200), historicWindowSize: 300 },
          JSON.parse(JSON.stringify(a.snapshot())),
        );
        for (let j = i; j < raws.length; j++) {
          const want = a.update(j, raws[j]!);
          expect(b.update(j, raws[j]!)).toBe(want);
        }
        return;
      }
      const p = a.probe(i, raws[i]!);
      expect(a.probe(i, raws[i]!)).toBe(p);
      expect(a.update(i, raws[i]!)).toBe(p);
    }
  });
});

describe('AnomalyLikelihood, compact history', () => {
  const compact = (p: number) => ({ ...settings(p), compactHistory: true });

  it.skipIf(sharedAbsent(`${NAB_RESULTS}/numenta`))(
    "stays within 1e-3 of NAB's numenta likelihoods, in 33 KB of state over 8,640 records",
    () => {
      const rows = numentaRows('realKnownCause/machine_temperature_system_failure.csv');
      const exact = new AnomalyLikelihood(settings(750));
      const lik = new AnomalyLikelihood(compact(750));
      let worst = 0;
      for (const { value, raw } of rows) {
        worst = Math.max(worst, Math.abs(lik.update(value, raw) - exact.update(value, raw)));
      }
      expect(worst).toBeLessThan(1e-3);
      const size = JSON.stringify(lik.snapshot()).length;
      expect(size).toBeLessThan(33_500);
      expect(JSON.stringify(exact.snapshot()).length).toBeGreaterThan(3 * size);
    },
  );

  it('restores exactly from its own snapshot, and takes over an exact (version-1) history', () => {
    const raws = Array.from({ length: 3000 }, (_, i) => (i % 97 === 0 ? 1 : ((i * 7919) % 100) / 400));
    const s = { ...compact(200), historicWindowSize: 1000 };
    const a = new AnomalyLikelihood(s);
    const exact = new AnomalyLikelihood({ ...s, compactHistory: false });
    for (let i = 0; i < 1777; i++) {
      a.update(i % 13, raws[i]!);
      exact.update(i % 13, raws[i]!);
    }
    const b = new AnomalyLikelihood(s, JSON.parse(JSON.stringify(a.snapshot())));
    const fromExact = new AnomalyLikelihood(s, JSON.parse(JSON.stringify(exact.snapshot())));
    expect(() => new AnomalyLikelihood({ ...s, compactHistory: false }, a.snapshot())).toThrow(/compact/);
    for (let i = 1777; i < raws.length; i++) {
      const want = a.update(i % 13, raws[i]!);
      expect(b.update(i % 13, raws[i]!)).toBe(want);
      expect(Math.abs(fromExact.update(i % 13, raws[i]!) - want)).toBeLessThan(1e-3);
    }
    expect(b.snapshot()).toEqual(a.snapshot());
  });
});
