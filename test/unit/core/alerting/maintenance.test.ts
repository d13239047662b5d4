/** maintenanceCoverage / inMaintenance: which series a window covers, per tenant, and when. */
import { describe, expect, it } from 'vitest';
import { MaintenanceSet, maintenanceCoverage } from '../../../../src/core/alerting/maintenance.ts';
import type { Silence } from '../../../../src/core/alerting/silences.ts';
import { activeAt } from '../../../../src/core/alerting/silences.ts';
import { type Tags, TENANT_TAG } from '../../../../src/core/series.ts';

const silence = (over: Partial<Silence>): Silence => ({
  id: 's1',
  tenant: 'default',
  match: 'cpu{host="a"}',
  startsAt: 0,
  endsAt: 10_000_000_000,
  kind: 'maintenance',
  comment: '',
  createdBy: 'test',
  createdMs: 0,
  ...over,
});

const SERIES: { id: number; metric: string; tags: Tags }[] = [
  { id: 1, metric: 'cpu', tags: { host: 'a' } },
  { id: 2, metric: 'cpu', tags: { host: 'b' } },
  { id: 3, metric: 'cpu', tags: { host: 'a', [TENANT_TAG]: 'acme' } },
  { id: 4, metric: 'mem', tags: { host: 'a' } },
];

describe('maintenanceCoverage', () => {
  it('covers the matching series of the window tenant only', () => {
    const byDefault = maintenanceCoverage([silence({})], SERIES);
    expect([...byDefault.keys()]).toEqual([1]);
    const byAcme = maintenanceCoverage([silence({ id: 's2', tenant: 'acme' })], SERIES);
    expect([...byAcme.keys()]).toEqual([3]);
    expect(byAcme.get(3)).toEqual([{ id: 's2', startsAt: 0, endsAt: 10_000_000_000 }]);
  });

  it('ignores plain silences: they mute notifications only', () => {
    expect(maintenanceCoverage([silence({ kind: 'silence' })], SERIES).size).toBe(0);
  });

  it('a selector may not reach another tenant through the tenant tag', () => {
    const sneaky = silence({ match: `cpu{${TENANT_TAG}="acme"}` });
    expect(maintenanceCoverage([sneaky], SERIES).size).toBe(0);
  });
});

describe('MaintenanceSet', () => {
  // 1970-01-05 was a Monday (day 1); a window every Monday 02:00 UTC for one hour.
  const MONDAY = 4 * 86_400_000;
  const weekly = {
    id: 'w',
    startsAt: 0,
    endsAt: 30 * 86_400_000,
    recurrence: { days: [1], start: '02:00', durationMs: 3_600_000 },
  };
  it('follows the weekly recurrence and the range', () => {
    const set = new MaintenanceSet([weekly]);
    expect(set.covers(MONDAY + 2 * 3_600_000)).toBe(true);
    expect(set.covers(MONDAY + 3 * 3_600_000)).toBe(false);
    expect(set.covers(MONDAY + 7 * 86_400_000 + 2.5 * 3_600_000)).toBe(true);
    expect(set.covers(MONDAY + 35 * 86_400_000 + 2 * 3_600_000)).toBe(false);
    expect(new MaintenanceSet([]).covers(MONDAY)).toBe(false);
  });

  it('agrees with activeAt everywhere, windows past midnight and before 1970 included', () => {
    const windows = [
      {
        id: 'a',
        startsAt: -20 * 86_400_000,
        endsAt: 40 * 86_400_000,
        recurrence: { days: [0, 3, 6], start: '22:30', durationMs: 5 * 3_600_000 },
      },
      {
        id: 'b',
        startsAt: 0,
        endsAt: 60 * 86_400_000,
        recurrence: { days: [2], start: '00:00', durationMs: 3 * 86_400_000 },
      },
      { id: 'c', startsAt: 5_000_000, endsAt: 9_000_000 },
    ];
    for (const w of windows) {
      const set = new MaintenanceSet([w]);
      for (let t = -25 * 86_400_000; t < 65 * 86_400_000; t += 1_234_567) {
        if (set.covers(t) !== activeAt(w, t)) throw new Error(`window ${w.id} disagrees at ${t}`);
      }
    }
  });
});
