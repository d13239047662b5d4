/**
 * The retention sweep's plan: each series gets its tenant's cutoff (none where retention is 0), in
 * slices of SLICE series; and its schedule: the first sweep 10 minutes after the start at the
 * latest, then one per interval, none after `stop`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RetentionSweep, SLICE } from '../../../src/app/retention-sweep.ts';
import { seriesKey } from '../../../src/core/series.ts';
import type { SeriesInfo } from '../../../src/ports/series-catalog.ts';

const series = (id: number, tenant?: string): SeriesInfo => {
  const tags: Record<string, string> =
    tenant === undefined ? { host: `h${id}` } : { __tenant__: tenant, host: `h${id}` };
  return { id, key: seriesKey('cpu', tags), metric: 'cpu', tags, createdMs: 0 };
};

function sweepOf(all: SeriesInfo[], now = 1_000_000) {
  const calls: { ids: number[]; cutoffs: number[] }[] = [];
  const sweep = new RetentionSweep({
    series: () => all,
    retentionOf: (tenant) => ({ default: 1000, acme: 10, forever: 0 })[tenant] ?? 500,
    retain: async (ids, cutoffs) => {
      calls.push({ ids: [...ids], cutoffs: [...cutoffs] });
      return { points: ids.length, chunks: 1, anomalies: 0 };
    },
    now: () => now,
    failed: () => {},
  });
  return { sweep, calls };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('RetentionSweep', () => {
  it("gives each series its tenant's cutoff, skips tenants kept forever, slices the catalog", async () => {
    const { sweep, calls } = sweepOf([series(1), series(2, 'acme'), series(3, 'forever'), series(4, 'zeta')]);
    expect(await sweep.sweep()).toMatchObject({ points: 3, chunks: 1 });
    expect(calls).toEqual([{ ids: [1, 2, 4], cutoffs: [1_000_000 - 1000, 1_000_000 - 10, 1_000_000 - 500] }]);

    const big = sweepOf(Array.from({ length: SLICE * 2 + 1 }, (_, i) => series(i + 1)));
    expect(await big.sweep.sweep()).toMatchObject({ points: SLICE * 2 + 1, chunks: 3 });
    expect(big.calls.map((c) => c.ids.length)).toEqual([SLICE, SLICE, 1]);
    expect(big.sweep.stats).toMatchObject({ sweeps: 1, points: SLICE * 2 + 1 });
  });

  it('sweeps 10 minutes after the start, then every interval, and not after stop', async () => {
    vi.useFakeTimers();
    const { sweep, calls } = sweepOf([series(1)]);
    sweep.start(3_600_000);
    await vi.advanceTimersByTimeAsync(599_000);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(calls).toHaveLength(2);
    await sweep.stop();
    await vi.advanceTimersByTimeAsync(7_200_000);
    expect(calls).toHaveLength(2);
  });
});
