/**
 * A chart's downsampled range from the embedded engine thread (real worker thread, real SQLite
 * files) is what the previous algorithm gives over every point of the range, stored and unsaved:
 * `downsample(engine.points(...))` (core/downsample.ts). Across checkpoints (several chunks), the
 * unsaved tail, range edges, and after retention and deletion. Zoomed far out over long chunks,
 * what the same rule keeps with each rollup block (core/rollup.ts) counted in the bucket of its
 * first row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteIngest } from '../../src/adapters/sqlite/index.ts';
import { EngineThread } from '../../src/app/engine-thread.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { downsample, MIN_BLOCKS_PER_BUCKET } from '../../src/core/downsample.ts';
import { ROLLUP_BLOCK_ROWS } from '../../src/core/rollup.ts';
import { referenceDownsample } from '../helpers/downsample-reference.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-downsample-'));
  dirs.push(dir);
  const config = validateConfig({
    dataDir: dir,
    engine: { detector: 'ewma', checkpointIntervalMs: 600_000 },
  });
  const channel = new MessageChannel();
  const ingest = openSqliteIngest(
    { dataDir: dir, synchronous: 'normal' },
    { commits: 'worker', forward: [channel.port1] },
  );
  const engine = new EngineThread({
    init: {
      config: structuredClone(config) as Config,
      logPath: join(dir, 'log.db'),
      storePaths: [join(dir, 'store.db')],
      configs: new Map(),
      entries: [channel.port2],
    },
    log: ingest.log,
    onLog: () => {},
    failed: () => {},
  });
  return { engine, catalog: ingest.catalog, ingest };
}

/** Points 1 s apart from `t0`, with gaps every 97 points and spikes every 250 (seeded). */
function batch(sid: number, t0: number, n: number, seed: number) {
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  let t = t0;
  for (let i = 0; i < n; i++) {
    t += i % 97 === 0 ? 60_000 : 1000;
    ts[i] = t;
    const k = (seed + i) % 250;
    values[i] = k === 0 ? 1000 : k === 125 ? -1000 : 10 + Math.sin((seed + i) / 20) + ((i * 7919) % 13) / 10;
  }
  return { seriesIds: new Int32Array(n).fill(sid), ts, values };
}

describe('embedded engine thread: downsampled points', () => {
  it('equals downsample over stored and unsaved points, and drops what retention and deletion removed', async () => {
    const { engine, catalog, ingest } = setup();
    const [a, b] = catalog.resolveSync(['d{h="a"}', 'd{h="b"}'], 0);
    await engine.recover();
    // Three checkpointed chunks, then a tail left unsaved in the engine thread.
    let t = 0;
    for (let round = 0; round < 4; round++) {
      const x = batch(a!, t, 1500, round * 31);
      t = x.ts[x.ts.length - 1]!;
      await engine.submit(x);
      await engine.submit(batch(b!, round * 10_000_000, 50, round));
      await engine.drain();
      if (round < 3) await engine.checkpoint();
    }
    const all = await engine.points(a!, 0, Number.MAX_SAFE_INTEGER);
    expect(all.length).toBe(6000);
    const same = async (from: number, to: number, maxPoints: number) => {
      const want = downsample(await engine.points(a!, from, to), maxPoints);
      const got = await engine.downsampled(a!, from, to, maxPoints);
      expect(got.total).toBe((await engine.points(a!, from, to)).length);
      expect(got.points).toEqual(want);
    };
    await same(0, Number.MAX_SAFE_INTEGER, 1200);
    await same(0, Number.MAX_SAFE_INTEGER, 2);
    await same(0, Number.MAX_SAFE_INTEGER, 100_000);
    // Ranges starting and ending on stored points, in the unsaved tail, across chunk edges.
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 2, max: 800 }),
        async (i, j, maxPoints) => {
          const [lo, hi] = i <= j ? [i, j] : [j, i];
          await same(all[lo]!.ts, all[hi]!.ts + (j % 2), maxPoints);
        },
      ),
      { numRuns: 60 },
    );

    // Retention removes the chunks wholly before its cutoff: here the first two (points 0..2999).
    await engine.retain(Int32Array.of(a!), Float64Array.of(all[3100]!.ts));
    const kept = await engine.downsampled(a!, 0, Number.MAX_SAFE_INTEGER, 1200);
    expect(kept.total).toBe(3000);
    expect(kept.points.every((p) => p.ts >= all[3000]!.ts)).toBe(true);
    await same(0, Number.MAX_SAFE_INTEGER, 1200);

    await engine.deleteSeries([a!]);
    expect(await engine.downsampled(a!, 0, Number.MAX_SAFE_INTEGER, 1200)).toEqual({ total: 0, points: [] });
    expect((await engine.downsampled(b!, 0, Number.MAX_SAFE_INTEGER, 1200)).total).toBe(200);
    await engine.close();
    await ingest.close();
  });

  it('zoomed far out over long chunks, keeps per bucket of rollup blocks; closer in, every row', async () => {
    const { engine, catalog, ingest } = setup();
    const [a] = catalog.resolveSync(['r{h="a"}'], 0);
    await engine.recover();
    const CHUNK = 3000;
    let t = 0;
    for (let round = 0; round < 4; round++) {
      const x = batch(a!, t, round < 3 ? CHUNK : 700, round * 17);
      t = x.ts[x.ts.length - 1]!;
      await engine.submit(x);
      await engine.drain();
      if (round < 3) await engine.checkpoint();
    }
    const all = await engine.points(a!, 0, Number.MAX_SAFE_INTEGER);
    expect(all.length).toBe(3 * CHUNK + 700);
    const check = async (lo: number, hi: number, maxPoints: number) => {
      const from = all[lo]!.ts;
      const to = all[hi]!.ts + 1;
      const inRange = all.slice(lo, hi + 1);
      // Chunks 0 … 2 are stored; a chunk wholly in the range is read as its rollup.
      const whole = (c: number) => c < 3 && lo <= c * CHUNK && (c + 1) * CHUNK - 1 <= hi;
      const bucketTs = inRange.map((p, k) => {
        const i = lo + k;
        const c = Math.floor(i / CHUNK);
        return whole(c)
          ? all[c * CHUNK + Math.floor((i - c * CHUNK) / ROLLUP_BLOCK_ROWS) * ROLLUP_BLOCK_ROWS]!.ts
          : p.ts;
      });
      const anomalous = inRange.filter((p) => p.anomalous).length;
      const buckets = Math.floor((maxPoints - anomalous) / 2);
      const rolled = [0, 1, 2].some(whole);
      const blocky =
        rolled &&
        inRange.length > maxPoints &&
        !(buckets > 0 && inRange.length / buckets < MIN_BLOCKS_PER_BUCKET * ROLLUP_BLOCK_ROWS);
      const got = await engine.downsampled(a!, from, to, maxPoints);
      expect(got.total).toBe(inRange.length);
      expect(got.points).toEqual(
        blocky ? referenceDownsample(inRange, bucketTs, maxPoints) : downsample(inRange, maxPoints),
      );
      return blocky;
    };
    const anomalous = all.filter((p) => p.anomalous).length;
    // The whole series in 4 buckets (~2,400 rows each): the rollups answer.
    expect(await check(0, all.length - 1, anomalous + 8)).toBe(true);
    expect(await check(0, all.length - 1, 1200)).toBe(false);
    expect(await check(CHUNK - 1, all.length - 1, anomalous + 4)).toBe(true);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 0, max: all.length - 1 }),
        fc.integer({ min: 2, max: 60 }),
        async (i, j, extra) => {
          await check(Math.min(i, j), Math.max(i, j), anomalous + extra);
        },
      ),
      { numRuns: 40 },
    );
    await engine.close();
    await ingest.close();
  });
});
