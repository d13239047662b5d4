import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { AdmissionFilter } from '../../../src/engine/admission-filter.ts';
import { Engine, type EngineOutput } from '../../../src/engine/engine.ts';
import type { PointBatch } from '../../../src/ports/log.ts';
import { rawConfig } from '../../helpers/series-config.ts';

const batchOf = (rows: [number, number, number][]): PointBatch => ({
  seriesIds: Int32Array.from(rows.map((r) => r[0])),
  ts: Float64Array.from(rows.map((r) => r[1])),
  values: Float64Array.from(rows.map((r) => r[2])),
});
const rowsOf = (b: PointBatch) => [...b.seriesIds].map((s, i) => [s, b.ts[i], b.values[i]]);

describe('AdmissionFilter', () => {
  it('drops duplicates, too-late and invalid points, keeps late ones within lateness, in order', () => {
    const f = new AdmissionFilter(100);
    const counts: Record<string, number> = {};
    const out = f.filter(
      batchOf([
        [1, 1000, 1],
        [2, 1000, 1],
        [1, 1000, 9], // duplicate ts
        [1, 1200, 2],
        [1, 1150, 3], // late, within 100 ms: kept
        [1, 1050, 4], // 150 ms behind: too late
        [2, 1001, Number.NaN],
        [2, -5, 1],
      ]),
      (r, n) => {
        counts[r] = (counts[r] ?? 0) + n;
      },
    );
    expect(rowsOf(out)).toEqual([
      [1, 1000, 1],
      [2, 1000, 1],
      [1, 1200, 2],
      [1, 1150, 3],
    ]);
    expect(counts).toEqual({ duplicate: 1, too_late: 1, invalid: 2 });
    // State carries across batches: a retried request is all duplicates.
    const again = f.filter(batchOf([[1, 1200, 2]]), () => {});
    expect(again.seriesIds.length).toBe(0);
  });

  it('returns the batch itself when everything passes', () => {
    const b = batchOf([
      [1, 1, 1],
      [1, 2, 1],
    ]);
    expect(new AdmissionFilter(0).filter(b, () => {})).toBe(b);
  });

  it('filtered input gives the engine exactly the output of the unfiltered input (same rule)', () => {
    const row = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 60 }),
      fc.integer({ min: -5, max: 5 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.array(row, { minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 10 }),
        (batches) => {
          const run = (filter: AdmissionFilter | undefined) => {
            const engine = new Engine({
              registry: builtinDetectors(),
              defaults: rawConfig('ewma', {}, 0.99),
              allowedLatenessMs: 10,
            });
            const scored: unknown[] = [];
            const out: EngineOutput = {
              point: (s, p, late) => scored.push([s, p, late]),
              anomaly: () => {},
              rejected: () => {},
            };
            for (const rows of batches) {
              const b = batchOf(rows);
              engine.processBatch(filter === undefined ? b : filter.filter(b, () => {}), out);
            }
            return scored;
          };
          expect(run(new AdmissionFilter(10))).toEqual(run(undefined));
        },
      ),
      { numRuns: 300 },
    );
  });
});
