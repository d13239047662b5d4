import { describe, expect, it } from 'vitest';
import {
  type CardinalityRun,
  lastHalf,
  median,
  perDetector,
  quantiles,
  slope,
  summary,
  table,
} from '../../../../src/cli/bench/cardinality-report.ts';

const run = (over: Partial<CardinalityRun>): CardinalityRun => ({
  name: 'cardinality',
  detector: 'fast',
  series: 1000,
  seriesPerSecond: 100,
  achievedSeriesPerSecond: 100,
  pointsPerSeries: 4,
  seconds: 10,
  idleRssBytes: 100 << 20,
  endRssBytes: 110 << 20,
  maxRssBytes: 110 << 20,
  bytesPerSeriesSlope: 3000,
  bytesPerSeriesSlopeLastHalf: 2000,
  bytesPerSeriesEnd: 3500,
  goalBytesPerSeries: 4096,
  firstScoreMs: { samples: 3, p50: 10, p90: 20, max: 30 },
  refused: {},
  pointsSent: 4000,
  pointsScored: 4000,
  ...over,
});

describe('bench cardinality report', () => {
  it('fits the slope of a line, and has none without two distinct x', () => {
    expect(slope([0, 1, 2, 3], [10, 12, 14, 16])).toBeCloseTo(2, 12);
    expect(slope([0, 1, 2, 3], [10, 13, 14, 17])).toBeCloseTo(2.2, 12);
    expect(slope([5], [1])).toBeNull();
    expect(slope([2, 2, 2], [1, 2, 3])).toBeNull();
  });

  it('keeps the samples of the second half of the growth', () => {
    const s = [0, 200, 499, 500, 900].map((series, t) => ({ t, series, rss: series }));
    expect(lastHalf(s, 1000).map((x) => x.series)).toEqual([500, 900]);
  });

  it('takes nearest-rank quantiles and the lower median', () => {
    expect(quantiles([])).toEqual({ samples: 0, p50: null, p90: null, max: null });
    const q = quantiles(Array.from({ length: 10 }, (_, i) => 10 - i));
    expect(q).toEqual({ samples: 10, p50: 5, p90: 9, max: 10 });
    expect(median([3, 1, 2, 4])).toBe(2);
    expect(median([])).toBeNaN();
  });

  it('judges each run by the larger of its slope and end figures against its goal', () => {
    expect(summary([run({})])).toContain('fast 3.4 KB/series (second half 2.0 KB) meets its goal ≤ 4.0 KB');
    expect(summary([run({ bytesPerSeriesSlope: 5000 })])).toContain(
      'fast 4.9 KB/series (second half 2.0 KB) misses',
    );
    expect(summary([run({ detector: 'ewma', goalBytesPerSeries: null })])).toContain('no goal');
  });

  it('prints one row per run under a header', () => {
    const lines = table([run({}), run({ detector: 'default' })]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('B/series slope');
    expect(lines[2]).toMatch(
      /^default\s+1000\s+100\s+4\s+100 MiB\s+110 MiB\s+2\.9 KB\s+2\.0 KB\s+3\.4 KB\s+4\.0 KB\s+10\/20\/30$/,
    );
  });
});

describe('per-detector options', () => {
  it('takes one value for every detector or one each, and refuses others', () => {
    expect([0, 1].map((i) => perDetector('--series', '500', 2, i))).toEqual([500, 500]);
    expect([0, 1].map((i) => perDetector('--series', '100000,20000', 2, i))).toEqual([100000, 20000]);
    expect(() => perDetector('--series', '1,2,3', 2, 0)).toThrow(
      '--series must be one number or one per detector (2)',
    );
    expect(() => perDetector('--series', '10,x', 2, 1)).toThrow('--series must be numbers > 0 (got "10,x")');
    expect(() => perDetector('--series', '0', 1, 0)).toThrow('> 0');
  });
});
