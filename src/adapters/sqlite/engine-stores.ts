/**
 * The embedded engine's stores, one per engine thread: `store.db` for the first, `store-<k>.db`
 * for thread k. A series belongs to one thread by its id (src/engine/shard.ts), and its state,
 * points and anomalies live in that thread's store, so the thread count is part of the data
 * dir's layout: the first start records it (the file `engine-threads`) and later starts keep it,
 * whatever `engine.threads` says. A data dir made before there were several threads (a `store.db`
 * and no record) keeps one.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { VigilError } from '../../core/errors.ts';

export interface EngineStores {
  /** One path per engine thread, thread k's at index k. */
  paths: string[];
  /** Whether an existing data dir kept a count other than the one asked for. */
  kept: boolean;
}

/** The stores of a data dir whose first store is `storePath`, made for `wanted` threads if new. */
export function engineStores(storePath: string, wanted: number): EngineStores {
  const dir = dirname(storePath);
  const record = join(dir, 'engine-threads');
  let count: number;
  if (existsSync(record)) {
    count = Number(readFileSync(record, 'utf8').trim());
    if (!Number.isInteger(count) || count < 1)
      throw new VigilError('VIGIL_ERR_STORAGE', `${record} does not hold a thread count`);
  } else {
    count = existsSync(storePath) ? 1 : wanted;
    // Durable before any store is written: a crash must not leave stores of an unrecorded layout.
    // A first start may name a data dir that does not exist yet.
    mkdirSync(dir, { recursive: true });
    const tmp = `${record}.tmp`;
    writeFileSync(tmp, `${count}\n`);
    const f = openSync(tmp, 'r');
    fsyncSync(f);
    closeSync(f);
    renameSync(tmp, record);
    const d = openSync(dir, 'r');
    fsyncSync(d);
    closeSync(d);
  }
  const paths = [storePath];
  for (let k = 1; k < count; k++) paths.push(storePath.replace(/(\.db)?$/, `-${k}.db`));
  return { paths, kept: count !== wanted };
}
