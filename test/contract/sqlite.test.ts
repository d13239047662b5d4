/** The storage contract on the embedded SQLite adapter, with inline and worker-thread log commits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteIngestDb } from '../../src/adapters/sqlite/ingest-db.ts';
import { openDatabase } from '../../src/adapters/sqlite/open.ts';
import { SqliteStoreDb } from '../../src/adapters/sqlite/store-db.ts';
import { type StorageUnderTest, storagePortsContract } from './storage-ports.contract.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function openAt(dir: string, writer: 'inline' | 'worker'): StorageUnderTest {
  const logPath = join(dir, 'log.db');
  const ingest = new SqliteIngestDb(
    openDatabase(logPath, 'full'),
    writer === 'worker' ? { kind: 'worker', path: logPath, synchronous: 'full' } : { kind: 'inline' },
  );
  const store = new SqliteStoreDb(openDatabase(join(dir, 'store.db'), 'normal'));
  const s: StorageUnderTest = {
    log: ingest,
    checkpoints: store,
    configs: ingest,
    async reopen() {
      await s.close();
      return openAt(dir, writer);
    },
    async close() {
      await ingest.close();
      store.close();
    },
  };
  return s;
}

for (const writer of ['inline', 'worker'] as const) {
  storagePortsContract(`sqlite (${writer} log writer)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-contract-'));
    dirs.push(dir);
    return openAt(dir, writer);
  });
}
