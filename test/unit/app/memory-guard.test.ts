/**
 * IngestService's memory guard (memory-budget.ts wires it to the real resident set): 503 above
 * the high-water mark of the budget, and new series charged at their grown cost against it.
 */
import { describe, expect, it } from 'vitest';
import { type BatchSink, IngestService, type SeriesRegistry } from '../../../src/app/ingest-service.ts';
import type { IngestPoint } from '../../../src/core/point.ts';

const MiB = 1024 * 1024;

function service(rss: { now: number }, bytesPerSeries: number) {
  const known = new Map<string, number>();
  const catalog: SeriesRegistry = {
    known: (key) => known.get(key),
    count: async () => known.size,
    countOf: async () => known.size,
    resolve: async (keys) =>
      Int32Array.from(keys, (k) => {
        if (!known.has(k)) known.set(k, known.size + 1);
        return known.get(k)!;
      }),
  };
  const submitted: number[] = [];
  const sink: BatchSink = { submit: async (b) => void submitted.push(b.ts.length), lagPoints: 0 };
  const ingest = new IngestService(
    sink,
    catalog,
    { maxSeries: 1e9, maxLagPoints: 1e9, retryAfterSeconds: 1 },
    () => 0,
  );
  ingest.enableMemoryGuard({ rss: () => rss.now, budget: 1000 * MiB, bytesPerSeries });
  ingest.setReady(true);
  return { ingest, submitted };
}

const points = (from: number, n: number): IngestPoint[] =>
  Array.from({ length: n }, (_, i) => ({ metric: 'm', tags: { s: String(from + i) }, ts: 1, value: 1 }));

describe('memory guard', () => {
  it('answers VIGIL_ERR_MEMORY_PRESSURE (503) while the resident set is above 90 % of the budget', async () => {
    const rss = { now: 100 * MiB };
    const { ingest, submitted } = service(rss, 0);
    await ingest.ingest(points(0, 10));
    rss.now = 901 * MiB;
    await expect(ingest.ingest(points(0, 10))).rejects.toMatchObject({
      code: 'VIGIL_ERR_MEMORY_PRESSURE',
      status: 503,
    });
    expect(ingest.stats.memoryRefused).toBe(1);
    rss.now = 899 * MiB;
    await ingest.ingest(points(0, 10));
    expect(submitted).toEqual([10, 10]);
  });

  it('admits new series while the resident set at start plus every series at its cost fits', async () => {
    // Start at 100 MiB; 900 MiB high-water; 1 MiB a series: 800 series fit, whatever the resident set says now.
    const { ingest, submitted } = service({ now: 100 * MiB }, MiB);
    await ingest.ingest(points(0, 500));
    await ingest.ingest(points(500, 300));
    await expect(ingest.ingest(points(800, 1))).rejects.toMatchObject({
      code: 'VIGIL_ERR_SERIES_LIMIT',
      status: 422,
    });
    await ingest.ingest(points(0, 800)); // known series cost nothing more
    expect(submitted).toEqual([500, 300, 800]);
  });
});
