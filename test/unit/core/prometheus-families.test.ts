/** Vigil's scored series as Prometheus series: names, the `for` label, matchers, unknown values left out. */
import { describe, expect, it } from 'vitest';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { familyLabels, familySamples, selectedFamilies } from '../../../src/core/prometheus-families.ts';
import { compileMatcher, type Selector } from '../../../src/core/selector.ts';

const sel = (...m: [string, '=' | '!=' | '=~' | '!~', string][]): Selector => ({
  matchers: m.map(([n, op, v]) => compileMatcher(n, op, v)),
});
const names = (s: Selector, metric = 'cpu', tags = { host: 'a' }) =>
  selectedFamilies(s, metric, tags).map((f) => familyLabels(f, metric, tags).__name__);

describe('prometheus families', () => {
  it('names the value series after the metric and the derived ones after vmanomaly, with for=<metric>', () => {
    expect(names(sel(['__name__', '=', 'cpu']))).toEqual(['cpu']);
    expect(names(sel(['__name__', '=', 'anomaly_score'], ['for', '=', 'cpu']))).toEqual(['anomaly_score']);
    expect(names(sel(['__name__', '=~', 'yhat.*']))).toEqual(['yhat', 'yhat_lower', 'yhat_upper']);
    expect(names(sel(['for', '=', 'cpu']))).toEqual([
      'anomaly_score',
      'yhat',
      'yhat_lower',
      'yhat_upper',
      'anomalous',
    ]);
    expect(names(sel(['host', '=', 'b']))).toEqual([]);
    expect(names(sel(['__name__', '=', 'anomaly_score'], ['for', '=', 'mem']))).toEqual([]);
    const [score] = selectedFamilies(sel(['__name__', '=', 'anomaly_score']), 'cpu', { host: 'a' });
    expect(familyLabels(score!, 'cpu', { host: 'a' })).toEqual({
      __name__: 'anomaly_score',
      host: 'a',
      for: 'cpu',
    });
  });

  it('carries each column, the verdict as 1/0, and leaves out unknown values', () => {
    const p = (ts: number, expected: number, anomalous: boolean): ScoredPoint => ({
      ts,
      value: ts * 10,
      score: 0.5,
      expected,
      lower: expected - 1,
      upper: expected + 1,
      anomalous,
    });
    const points = [p(1, Number.NaN, false), p(2, 20, true)];
    const fams = selectedFamilies(sel(['host', '=', 'a']), 'cpu', { host: 'a' });
    const by = Object.fromEntries(
      fams.map((f) => [familyLabels(f, 'cpu', {}).__name__, familySamples(f, points)]),
    );
    expect(by.cpu).toEqual([
      { ts: 1, value: 10 },
      { ts: 2, value: 20 },
    ]);
    expect(by.yhat).toEqual([{ ts: 2, value: 20 }]);
    expect(by.yhat_lower).toEqual([{ ts: 2, value: 19 }]);
    expect(by.anomalous).toEqual([
      { ts: 1, value: 0 },
      { ts: 2, value: 1 },
    ]);
  });
});
