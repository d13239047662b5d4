/**
 * Deleting series and retention in store.db, with both writers: chunks go together with their
 * directory entries (runs trimmed, recent entries removed, none left naming a missing chunk), a
 * chunk straddling the cutoff stays whole, other series are untouched, and a freed rowid is never
 * handed out again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRowids } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { anomaly, pt } from '../../../contract/fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openStore(writer: 'inline' | 'worker'): { store: SqliteStoreDb; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-prune-'));
  dirs.push(dir);
  const path = join(dir, 'store.db');
  // compactAt 4: after two commits of two series, the entries move to runs.
  const store = new SqliteStoreDb(
    openDatabase(path, 'normal'),
    writer === 'worker'
      ? { kind: 'worker', path, synchronous: 'normal', compactAt: 4 }
      : { kind: 'inline', compactAt: 4 },
  );
  return { store, dir };
}

/** Chunk k of series sid: ts k·100 … k·100+99. */
const chunk = (sid: number, k: number) =>
  PointColumns.of(Array.from({ length: 100 }, (_, i) => pt(k * 100 + i, sid * 10_000 + k * 100 + i)));

/**
 * Commits chunks k = 0 … 6 of series 1 and 2, one checkpoint each: every second one compacts,
 * so chunks 0 … 5 end up in runs and chunk 6 in recent entries.
 */
async function fill(store: SqliteStoreDb): Promise<void> {
  for (let k = 0; k < 7; k++) {
    await store.commit({
      offset: k + 1,
      points: new Map([
        [1, chunk(1, k)],
        [2, chunk(2, k)],
      ]),
      anomalies:
        k === 0 ? [anomaly(1, 10, 20, false), anomaly(1, 350, 360, false), anomaly(2, 10, 20, false)] : [],
      states: new Map([
        [1, `s1-${k}`],
        [2, `s2-${k}`],
      ]),
    });
  }
}

/** Chunk rowids the directory names that have no chunk row (must be none), and the entries. */
function directory(dir: string): { dangling: number; runs: number; recent: number; maxRowid: number } {
  const db = new DatabaseSync(join(dir, 'store.db'), { readOnly: true });
  try {
    const exists = db.prepare('SELECT 1 FROM chunks WHERE rowid = ?');
    let dangling = 0;
    let runs = 0;
    let recent = 0;
    for (const r of db.prepare('SELECT first, chunks FROM chunk_runs').all()) {
      runs++;
      const ids = r.chunks === null ? [Number(r.first)] : decodeRowids(r.chunks as Uint8Array);
      for (const id of ids) if (exists.get(id) === undefined) dangling++;
    }
    for (const r of db.prepare('SELECT chunk FROM chunk_recent').all()) {
      recent++;
      if (exists.get(Number(r.chunk)) === undefined) dangling++;
    }
    const maxRowid = Number(db.prepare('SELECT MAX(rowid) AS m FROM chunks').get()!.m ?? 0);
    return { dangling, runs, recent, maxRowid };
  } finally {
    db.close();
  }
}

for (const writer of ['inline', 'worker'] as const) {
  describe(`store.db pruning (${writer} writer)`, () => {
    it('retention drops whole chunks before the cutoff, from runs and recent entries alike', async () => {
      const { store, dir } = openStore(writer);
      await fill(store);
      expect(directory(dir).runs).toBeGreaterThan(0);
      expect(directory(dir).recent).toBeGreaterThan(0);
      const two = await store.range(2, 0, 1e9);
      // Cutoff 350: chunks 0 … 2 end before it (a whole run, and half of the next); chunk 3
      // (300…399) straddles it and stays whole.
      const r = await store.retain(Int32Array.of(1), Float64Array.of(350));
      expect(r).toMatchObject({ chunks: 3, points: 300, anomalies: 1 });
      const one = await store.range(1, 0, 1e9);
      expect(one.length).toBe(400);
      expect(one[0]!.ts).toBe(300);
      expect(await store.range(2, 0, 1e9)).toEqual(two);
      // The closed anomaly ending at 20 went; the one ending at 360 stays, as do series 2's.
      const left = await store.anomalies({ limit: 10 });
      expect(left.map((a) => `${a.seriesId}:${a.start}`).sort()).toEqual(['1:350', '2:10']);
      expect(directory(dir).dangling).toBe(0);
      // A second pass finds nothing more.
      expect(await store.retain(Int32Array.of(1), Float64Array.of(350))).toMatchObject({ chunks: 0 });
      // A range starting inside the trimmed run still finds what it kept.
      expect(await store.range(1, 300, 400)).toHaveLength(100);
      // Past every chunk: the whole series' points go, runs and recent entries with them.
      await store.retain(Int32Array.of(1), Float64Array.of(1e9));
      expect(await store.range(1, 0, 1e9)).toEqual([]);
      expect(directory(dir).dangling).toBe(0);
      await store.close();
    });

    it('deleting series removes chunks, entries, anomalies and state; rowids are not reused', async () => {
      const { store, dir } = openStore(writer);
      await fill(store);
      const two = await store.range(2, 0, 1e9);
      // Series 2's chunk is the newest row: deleting it must not free its rowid.
      const before = directory(dir).maxRowid;
      const r = await store.deleteSeries([2]);
      expect(r).toMatchObject({ chunks: 7, points: 700, anomalies: 1 });
      expect(await store.range(2, 0, 1e9)).toEqual([]);
      expect(await store.range(1, 0, 1e9)).toHaveLength(700);
      expect((await store.anomalies({ limit: 10 })).map((a) => a.seriesId)).toEqual([1, 1]);
      expect((await store.load()).states.has(2)).toBe(false);
      expect(directory(dir).dangling).toBe(0);
      expect(directory(dir).maxRowid).toBeLessThan(before);
      await store.commit({
        offset: 7,
        points: new Map([[3, chunk(3, 0)]]),
        anomalies: [],
        states: new Map(),
      });
      expect(directory(dir).maxRowid).toBe(before + 1);
      expect(two).toHaveLength(700);
      await store.close();
    });
  });
}
