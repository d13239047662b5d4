/**
 * Opens a SQLite database in WAL mode with the pragmas Vigil relies on; runs write transactions.
 * Two connections write some files (store.db: the engine thread's and its writer thread's), and
 * on a loaded machine a commit's fsync has held the lock past 5 s ("database is locked" in a
 * clean-clone CI run): a writer waits up to 30 s before it fails.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { VigilError } from '../../core/errors.ts';

export function openDatabase(path: string, synchronous: 'full' | 'normal'): DatabaseSync {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL;
    PRAGMA synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'};
    PRAGMA busy_timeout = 30000;
    PRAGMA foreign_keys = OFF;
    PRAGMA temp_store = MEMORY;
    PRAGMA cache_size = -65536;`);
  return db;
}

/** Runs `fn` in one write transaction (BEGIN IMMEDIATE): committed if it returns, rolled back if it throws. */
export function writeTransaction<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** `writeTransaction`, with a failure reported as VIGIL_ERR_STORAGE naming the database file. */
export function storageTransaction<T>(db: DatabaseSync, file: string, fn: () => T): T {
  try {
    return writeTransaction(db, fn);
  } catch (err) {
    throw new VigilError('VIGIL_ERR_STORAGE', `${file} write failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
