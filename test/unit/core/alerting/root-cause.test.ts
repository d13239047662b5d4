import { describe, expect, it } from 'vitest';
import { type RootCauseInput, rankRootCauses } from '../../../../src/core/alerting/root-cause.ts';

const LABELS = { dependencyLabel: 'depends_on', identityLabel: 'service' };

function m(service: string, start: number, dev: number, dependsOn?: string): RootCauseInput {
  const tags: Record<string, string> = { service };
  if (dependsOn !== undefined) tags.depends_on = dependsOn;
  return {
    seriesKey: `lat{service="${service}"}`,
    tags,
    start,
    peakValue: 100 * (1 + dev),
    peakExpected: 100,
  };
}

describe('root-cause ranking', () => {
  it('puts the member others depend on first, even when a dependant started earlier and deviated more', () => {
    const ranked = rankRootCauses([m('web', 0, 9, 'api'), m('api', 10, 2, 'db'), m('db', 20, 1)], LABELS);
    expect(ranked[0]!.seriesKey).toBe('lat{service="db"}');
    expect(ranked[0]!.reasons[0]).toMatch(/2 other member\(s\) depend on it/);
    const api = ranked.find((c) => c.seriesKey === 'lat{service="api"}')!;
    expect(api.reasons.join(';')).toMatch(/depends on anomalous lat\{service="db"\}/);
    expect(api.score).toBeLessThan(ranked[0]!.score / 2);
    expect(ranked.map((c) => c.rank)).toEqual([1, 2, 3]);
  });

  it('without label relations: earliest onset, then largest deviation', () => {
    const ranked = rankRootCauses([m('a', 100, 1), m('b', 0, 1), m('c', 100, 3)], LABELS);
    expect(ranked[0]!.seriesKey).toBe('lat{service="b"}');
    expect(ranked[0]!.reasons.join(';')).toMatch(/earliest onset/);
    expect(ranked[1]!.seriesKey).toBe('lat{service="c"}');
    expect(ranked[1]!.reasons.join(';')).toMatch(/largest deviation/);
    expect(ranked[2]!.seriesKey).toBe('lat{service="a"}');
  });

  it('is one candidate per series and says when the deviation is unknown', () => {
    const a = m('a', 0, 1);
    const ranked = rankRootCauses(
      [a, { ...a, start: 50 }, { ...m('b', 10, 0), peakExpected: Number.NaN }],
      LABELS,
    );
    expect(ranked).toHaveLength(2);
    expect(ranked.find((c) => c.seriesKey.includes('"b"'))!.reasons.join(';')).toMatch(/deviation unknown/);
  });
});
