/**
 * SqliteStoreDb beyond the CheckpointStore contract (test/contract/sqlite.test.ts runs that with
 * both writers): reads right after a commit (and none of it before) on the reading connection,
 * atomicity of a failed commit, and the packed form a checkpoint travels in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { decodeChunkInto, packCheckpoint } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import type { ScoredPoint } from '../../../../src/core/point.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { anomaly, pt } from '../../../contract/fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-db-'));
  dirs.push(dir);
  return dir;
};

type Writer = 'inline' | 'worker';

function openStore(dir: string, writer: Writer, compactAt?: number): SqliteStoreDb {
  const path = join(dir, 'store.db');
  return new SqliteStoreDb(
    openDatabase(path, 'normal'),
    writer === 'worker'
      ? { kind: 'worker', path, synchronous: 'normal', compactAt }
      : { kind: 'inline', compactAt },
  );
}

/** Rows of the chunk directory's two tables, read on a connection of its own. */
function directoryRows(dir: string): { recent: number; runs: number; runChunks: number } {
  const db = new DatabaseSync(join(dir, 'store.db'), { readOnly: true });
  try {
    const recent = Number(db.prepare('SELECT COUNT(*) AS n FROM chunk_recent').get()!.n);
    let runs = 0;
    let runChunks = 0;
    for (const r of db.prepare('SELECT chunks FROM chunk_runs').iterate()) {
      runs++;
      runChunks += r.chunks === null ? 1 : (r.chunks as Uint8Array).byteLength / 8;
    }
    return { recent, runs, runChunks };
  } finally {
    db.close();
  }
}

/** `n` points of series `sid` from ts `t0`, value = sid·1000 + ts. */
const run = (sid: number, t0: number, n: number) =>
  PointColumns.of(Array.from({ length: n }, (_, i) => pt(t0 + i, sid * 1000 + t0 + i, i % 7 === 0)));

for (const writer of ['inline', 'worker'] as const) {
  describe(`SqliteStoreDb (${writer} writer)`, () => {
    it('a read after commit resolves sees it, commit after commit (smaller, then larger)', async () => {
      const store = openStore(freshDir(), writer);
      const sizes = [40, 3, 400];
      let t0 = 0;
      for (let k = 0; k < sizes.length; k++) {
        const n = sizes[k]!;
        const points = new Map<number, PointColumns>();
        const states = new Map<number, string>();
        for (let sid = 1; sid <= 300; sid++) {
          points.set(sid, run(sid, t0, n));
          states.set(sid, JSON.stringify({ sid, k }));
        }
        await store.commit({ offset: k + 1, points, anomalies: [anomaly(7, t0, t0 + 1, true)], states });
        expect((await store.range(300, t0, t0 + n)).length).toBe(n);
        expect((await store.anomalies({ limit: 10, openOnly: true })).map((a) => a.start)).toContain(t0);
        const cp = await store.load();
        expect(cp.offset).toBe(k + 1);
        expect(cp.states.get(300)).toBe(JSON.stringify({ sid: 300, k }));
        t0 += n;
      }
      const all = await store.range(5, 0, t0);
      expect(all.map((p) => p.ts)).toEqual(Array.from({ length: t0 }, (_, i) => i));
      expect(all.every((p) => p.value === 5000 + p.ts)).toBe(true);
      await store.close();
    });

    it("reads do not see a commit before it resolves (its points are still the caller's then)", async () => {
      const store = openStore(freshDir(), writer);
      await store.commit({
        offset: 1,
        points: new Map([[1, run(1, 0, 10)]]),
        anomalies: [],
        states: new Map(),
      });
      // Big enough to take many slices (inline) and a while on the worker.
      const points = new Map<number, PointColumns>();
      for (let sid = 1; sid <= 2000; sid++) points.set(sid, run(sid, 10, 200));
      let resolved = false;
      const committing = store.commit({ offset: 2, points, anomalies: [], states: new Map() }).then(() => {
        resolved = true;
      });
      const seen = new Set<number>();
      let polls = 0;
      while (!resolved) {
        seen.add((await store.range(1, 0, 1000)).length);
        polls++;
        await new Promise((r) => setImmediate(r));
      }
      await committing;
      expect(polls).toBeGreaterThan(1);
      expect([...seen]).toEqual([10]);
      expect((await store.range(1, 0, 1000)).length).toBe(210);
      await store.close();
    });

    it('flushed points are readable at once; on load, those flushed past the checkpoint are dropped', async () => {
      const dir = freshDir();
      const store = openStore(dir, writer);
      await store.commit({
        offset: 5,
        points: new Map([[1, run(1, 0, 10)]]),
        anomalies: [],
        states: new Map(),
      });
      await store.flushPoints(8, new Map([[1, run(1, 10, 5)]]));
      await store.flushPoints(9, new Map([[2, run(2, 0, 4)]]));
      expect((await store.range(1, 0, 100)).map((p) => p.ts)).toEqual(
        Array.from({ length: 15 }, (_, i) => i),
      );
      expect((await store.load()).offset).toBe(5); // a flush leaves the checkpoint offset alone
      // load() dropped the flushes past offset 5 (the replay from 5 scores them again).
      expect((await store.range(1, 0, 100)).map((p) => p.ts)).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
      expect(await store.range(2, 0, 100)).toEqual([]);
      // A flush reaching no further than the checkpoint after it survives the next load.
      await store.flushPoints(9, new Map([[1, run(1, 10, 5)]]));
      await store.commit({
        offset: 9,
        points: new Map([[1, run(1, 15, 1)]]),
        anomalies: [],
        states: new Map(),
      });
      await store.close();
      const reopened = openStore(dir, writer);
      expect((await reopened.load()).offset).toBe(9);
      expect((await reopened.range(1, 0, 100)).map((p) => p.ts)).toEqual(
        Array.from({ length: 16 }, (_, i) => i),
      );
      // Rows written after the drop are not visible before their write resolves (rowids go on growing).
      await reopened.flushPoints(12, new Map([[3, run(3, 0, 2)]]));
      expect((await reopened.range(3, 0, 100)).length).toBe(2);
      await reopened.close();
    });

    it('compaction moves the chunk directory into runs after a checkpoint; reads, load and reopen see the same points', async () => {
      const dir = freshDir();
      // Compacts after any checkpoint that follows at least 20 new chunks.
      const store = openStore(dir, writer, 20);
      const tsOf = (ps: ScoredPoint[]) => ps.map((p) => p.ts);
      const upTo = (n: number) => Array.from({ length: n }, (_, i) => i);
      // Round k writes 5 points of series 1..8 as a flush, then as a checkpoint.
      let t0 = 0;
      for (let k = 1; k <= 3; k++) {
        const batch = () => new Map(Array.from({ length: 8 }, (_, i) => [i + 1, run(i + 1, t0, 5)] as const));
        await store.flushPoints(2 * k - 1, batch());
        t0 += 5;
        await store.commit({ offset: 2 * k, points: batch(), anomalies: [], states: new Map() });
        t0 += 5;
        expect(tsOf(await store.range(3, 0, 1000))).toEqual(upTo(t0));
      }
      // 16 chunks after round 1 (not yet 20), 32 after round 2: compacted into one run per series
      // (on the worker before round 3's writes, which queue behind it); round 3's 16 chunks wait
      // in chunk_recent.
      expect(directoryRows(dir)).toEqual({ recent: 16, runs: 8, runChunks: 32 });
      // A range inside one run and the recent tail reads only what it asks for.
      expect(tsOf(await store.range(8, 12, 23))).toEqual([12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]);
      expect((await store.range(8, 12, 23)).every((p) => p.value === 8000 + p.ts)).toBe(true);
      // A flush past the last checkpoint: readable now, dropped by load (the replay redoes it).
      await store.flushPoints(7, new Map([[3, run(3, t0, 5)]]));
      expect(tsOf(await store.range(3, 0, 1000))).toEqual(upTo(t0 + 5));
      await store.close();
      const reopened = openStore(dir, writer, 20);
      expect((await reopened.load()).offset).toBe(6);
      expect(tsOf(await reopened.range(3, 0, 1000))).toEqual(upTo(t0));
      expect(directoryRows(dir)).toEqual({ recent: 16, runs: 8, runChunks: 32 });
      // The next checkpoint (16 + 8 chunks) compacts the recent tail into a second run per series.
      await reopened.commit({
        offset: 8,
        points: new Map(Array.from({ length: 8 }, (_, i) => [i + 1, run(i + 1, t0, 5)] as const)),
        anomalies: [],
        states: new Map(),
      });
      // On the worker, the compaction runs after the commit's reply. The older run of each series
      // (4 chunks of 5 points) is then flattened into one chunk (chunk-merger.ts): 8 × (1 + 3).
      await vi.waitFor(() => expect(directoryRows(dir)).toEqual({ recent: 0, runs: 16, runChunks: 32 }), {
        timeout: 5000,
      });
      expect(tsOf(await reopened.range(3, 0, 1000))).toEqual(upTo(t0 + 5));
      expect(tsOf(await reopened.range(5, 0, 1000))).toEqual(upTo(t0 + 5));
      await reopened.close();
    });

    it('a failed commit leaves nothing of itself behind, and the next one succeeds', async () => {
      const store = openStore(freshDir(), writer);
      await store.commit({
        offset: 1,
        points: new Map([[1, run(1, 0, 5)]]),
        anomalies: [],
        states: new Map([[1, '"first"']]),
      });
      const broken = anomaly(1, 3, 4, true);
      // NOT NULL column: the insert fails after the points and before the states.
      (broken as { detector: unknown }).detector = null;
      await expect(
        store.commit({
          offset: 2,
          points: new Map([[1, run(1, 5, 5)]]),
          anomalies: [broken],
          states: new Map([[1, '"second"']]),
        }),
      ).rejects.toMatchObject({ code: 'VIGIL_ERR_STORAGE' });
      expect(await store.load()).toEqual({ offset: 1, states: new Map([[1, '"first"']]) });
      expect((await store.range(1, 0, 100)).length).toBe(5);
      expect(await store.anomalies({ limit: 10 })).toEqual([]);
      await store.commit({
        offset: 3,
        points: new Map([[1, run(1, 5, 5)]]),
        anomalies: [],
        states: new Map([[1, '"third"']]),
      });
      expect((await store.range(1, 0, 100)).map((p) => p.ts)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect((await store.load()).states.get(1)).toBe('"third"');
      await store.close();
    });
  });
}

describe('packCheckpoint', () => {
  const unpackChunk = (bytes: Uint8Array): ScoredPoint[] => {
    const out: ScoredPoint[] = [];
    decodeChunkInto(bytes, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, out);
    return out;
  };
  const drain = <T>(g: Generator<void, T>): T => {
    for (;;) {
      const r = g.next();
      if (r.done === true) return r.value;
    }
  };

  it('round-trips chunks of odd sizes and non-ASCII states, into dirty spare buffers too', () => {
    const points = new Map<number, PointColumns>([
      [3, run(3, 10, 1)],
      [4, new PointColumns()],
      [9, run(9, 0, 77)],
      [2, run(2, 5, 2)],
    ]);
    const states = new Map([
      [1, 'plain'],
      [2, 'é ✓ 😀 \u{10FFFF}'],
      [3, '😀'.repeat(5000)],
      [4, ''],
    ]);
    const dirty = { chunks: new ArrayBuffer(1 << 16), states: new ArrayBuffer(1 << 16) };
    new Uint8Array(dirty.chunks).fill(0xff);
    new Uint8Array(dirty.states).fill(0xff);
    for (const spare of [undefined, dirty]) {
      const p = drain(packCheckpoint({ offset: 42, points, anomalies: [], states }, spare));
      expect(p.offset).toBe(42);
      const chunks = new Map<number, ScoredPoint[]>();
      for (let r = 0; r < p.chunkIndex.length; r += 3) {
        const off = p.chunkIndex[r + 1]!;
        expect(off % 8).toBe(0);
        // A copy, as SQLite hands a stored blob back: the layout must not depend on its buffer.
        chunks.set(p.chunkIndex[r]!, unpackChunk(p.chunkBytes.slice(off, off + p.chunkIndex[r + 2]!)));
      }
      expect([...chunks.keys()]).toEqual([3, 9, 2]);
      for (const [sid, ps] of chunks) {
        const want: ScoredPoint[] = [];
        points.get(sid)!.collect(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, want);
        expect(ps).toEqual(want);
      }
      const text = new TextDecoder();
      const back = new Map<number, string>();
      for (let r = 0; r < p.stateIndex.length; r += 3) {
        const off = p.stateIndex[r + 1]!;
        back.set(p.stateIndex[r]!, text.decode(p.stateBytes.subarray(off, off + p.stateIndex[r + 2]!)));
      }
      expect(back).toEqual(states);
    }
  });
});
