/**
 * StoreWriter's reused checkpoint buffers: kept for the next checkpoint up to SPARE_MAX_BYTES
 * each, let go beyond it (issue 19: kept, the largest checkpoint's buffers stayed for good).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packCheckpoint } from '../../../../src/adapters/sqlite/chunk-codec.ts';
import { openDatabase } from '../../../../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../../../../src/adapters/sqlite/store-db.ts';
import { SPARE_MAX_BYTES, StoreWriter } from '../../../../src/adapters/sqlite/store-writer.ts';
import { PointColumns } from '../../../../src/core/point-columns.ts';
import { pt } from '../../../contract/fixtures.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A store.db with its schema (made by SqliteStoreDb), closed again. */
async function storePath(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-store-writer-'));
  dirs.push(dir);
  const path = join(dir, 'store.db');
  await new SqliteStoreDb(openDatabase(path, 'normal')).close();
  return path;
}

/** Packs a checkpoint at `offset`: 3 points of series 1, and its state of `stateChars` ASCII chars. */
function packed(offset: number, stateChars: number) {
  const points = new Map([[1, PointColumns.of([pt(1, 1, false), pt(2, 2, false), pt(3, 3, true)])]]);
  const states = new Map([[1, JSON.stringify('x'.repeat(stateChars - 2))]]);
  const steps = packCheckpoint({ offset, points, anomalies: [], states });
  let r = steps.next();
  while (r.done !== true) r = steps.next();
  return r.value;
}

describe('StoreWriter spare buffers', () => {
  it('keeps a small checkpoint buffer for the next one and lets one above SPARE_MAX_BYTES go', async () => {
    const writer = new StoreWriter(await storePath(), 'normal');
    try {
      await writer.commit(packed(1, SPARE_MAX_BYTES + 1024));
      const afterBig = writer.takeSpare();
      // The chunk buffer (3 points) is small: kept; the state buffer is above the cap: let go.
      expect(afterBig?.chunks?.byteLength).toBeGreaterThan(0);
      expect(afterBig?.states).toBeUndefined();

      await writer.commit(packed(2, 1000));
      const afterSmall = writer.takeSpare();
      expect(afterSmall?.chunks?.byteLength).toBeGreaterThan(0);
      expect(afterSmall?.states?.byteLength).toBeGreaterThanOrEqual(1000);
      expect(writer.takeSpare()).toBeUndefined();
    } finally {
      await writer.close();
    }
  }, 60_000);

  it('keeps nothing above a cap given to it', async () => {
    const writer = new StoreWriter(await storePath(), 'normal', undefined, 512);
    try {
      await writer.commit(packed(1, 1000));
      expect(writer.takeSpare()).toEqual({ chunks: expect.any(ArrayBuffer), states: undefined });
      await writer.commit(packed(2, 100));
      expect(writer.takeSpare()?.states?.byteLength).toBeGreaterThanOrEqual(100);
    } finally {
      await writer.close();
    }
  }, 60_000);
});
