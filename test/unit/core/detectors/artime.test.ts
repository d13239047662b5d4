import { describe, expect, it } from 'vitest';
import { probationaryLength } from '../../../../src/core/bench/nab/probation.ts';
import { type ArtimeDetector, artime, artimeSizes } from '../../../../src/core/detectors/artime/artime.ts';
import { roundHalfEven } from '../../../../src/core/detectors/artime/encoder.ts';
import { describeShared } from '../../../helpers/datasets.ts';
import { loadNab, loadNabResult, NAB_RESULTS } from './nab-fixture.ts';

describe('artime sizes and rounding', () => {
  it('derives SS and TW from the probation as the notes list them', () => {
    expect(artimeSizes(probationaryLength(4032))).toEqual({ ss: 5, tw: 120 });
    expect(artimeSizes(probationaryLength(22695))).toEqual({ ss: 7, tw: 107 });
    expect(artimeSizes(probationaryLength(1538))).toEqual({ ss: 2, tw: 115 });
    expect(artimeSizes(probationaryLength(1127))).toEqual({ ss: 1, tw: 168 });
  });

  it('rounds half to even', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 0, 2, 3]);
  });
});

describeShared(NAB_RESULTS, 'artime against NAB ARTime results', () => {
  // NAB stores 6-decimal confidences; some were written one ulp away from the nearest double of
  // their decimal, so rows are compared at 6 decimals.
  it.each([
    'realKnownCause/rogue_agent_key_hold.csv',
    'realAdExchange/exchange-3_cpc_results.csv',
    'artificialWithAnomaly/art_daily_jumpsup.csv',
    'realTweets/Twitter_volume_FB.csv',
  ])('reproduces every row of %s', (path) => {
    const f = loadNab(path);
    const ref = loadNabResult('ARTime', path).scores;
    const d = artime.create(artime.defaults, undefined, {
      min: f.min,
      max: f.max,
      probationaryLength: f.probationaryLength,
    });
    const differing: number[] = [];
    let detections = 0;
    for (let i = 0; i < f.values.length; i++) {
      const s = d.step!(f.ts[i]!, f.values[i]!).score;
      if (Math.round(s * 1e6) !== Math.round(ref[i]! * 1e6)) differing.push(i);
      if (s > 0) detections++;
    }
    expect(differing).toEqual([]);
    expect(detections).toBeGreaterThan(0);
  });
});

describe('artime strict mode', () => {
  const wave = (n: number, level = 100): number[] => {
    let x = 3;
    return Array.from({ length: n }, (_, i) => {
      x = (x * 48271) % 2147483647;
      return level + 10 * Math.sin((2 * Math.PI * i) / 30) + (x / 2147483647 - 0.5);
    });
  };

  it('emits nothing during probation, then flags a shift beyond the estimated range', () => {
    const d = artime.create(artime.defaults); // P = 200: no downsampling
    const values = wave(1200);
    for (let i = 900; i < 1200; i++) values[i]! += 60;
    const s = values.map((v, i) => d.step!(i, v).score);
    expect(s.slice(0, 200).every((x) => x === 0)).toBe(true);
    expect(Math.max(...s.slice(900, 915))).toBeGreaterThan(0.3);
    const data = d.snapshot().data as { encoder: { lo: number; hi: number } };
    expect(data.encoder.hi).toBeGreaterThan(170);
  });

  it('keeps at most maxCategories categories, with weights inside [0, 1]', () => {
    const d = artime.create({ ...artime.defaults, maxCategories: 16 }) as ArtimeDetector;
    let x = 11;
    for (let i = 0; i < 3000; i++) {
      x = (x * 48271) % 2147483647;
      d.step(i, (x / 2147483647) * (1 + i / 1000));
    }
    const dvfa = (d.snapshot().data as { dvfa: { labels: number[]; w: string } }).dvfa;
    expect(dvfa.labels.length).toBe(16);
    const w = new Float64Array(Uint8Array.from(atob(dvfa.w), (c) => c.charCodeAt(0)).buffer);
    expect(w.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});
