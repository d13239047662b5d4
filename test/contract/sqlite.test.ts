/** The port contracts on the embedded SQLite adapter, with inline and worker-thread log commits. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import {
  openDatabase,
  openSqliteAlerting,
  openSqliteApiKeys,
  openSqliteAudit,
  openSqliteFeedback,
  openSqliteIngest,
  openSqliteOutbox,
  type SqliteIngest,
  SqliteStoreDb,
} from '../../src/adapters/sqlite/index.ts';
import { type AlertingUnderTest, alertingStoreContract } from './alerting-store.contract.ts';
import { type ApiKeysUnderTest, apiKeyStoreContract } from './api-key-store.contract.ts';
import { type AuditUnderTest, auditLogContract } from './audit-log.contract.ts';
import { catalogContract } from './catalog.contract.ts';
import { checkpointContract } from './checkpoint.contract.ts';
import { configContract } from './config.contract.ts';
import { type FeedbackUnderTest, feedbackStoreContract } from './feedback-store.contract.ts';
import { logContract } from './log.contract.ts';
import { notificationOutboxContract, type OutboxUnderTest } from './notification-outbox.contract.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-contract-'));
  dirs.push(dir);
  return dir;
};

function openIngest(dir: string, writer: 'inline' | 'worker'): SqliteIngest {
  return openSqliteIngest({ dataDir: dir, synchronous: 'full' }, { commits: writer });
}

/** One reopenable handle on the ingest database, exposed under the name each contract expects. */
function ingestUnderTest<K extends 'log' | 'catalog' | 'configs'>(
  dir: string,
  writer: 'inline' | 'worker',
  as: K,
) {
  type T = Record<K, SqliteIngest[K]> & { reopen(): Promise<T>; close(): Promise<void> };
  const open = (): T => {
    const db = openIngest(dir, writer);
    const t = {
      [as]: db[as],
      async reopen() {
        await db.close();
        return open();
      },
      close: () => db.close(),
    } as T;
    return t;
  };
  return open();
}

for (const writer of ['inline', 'worker'] as const) {
  logContract(`sqlite (${writer} log writer)`, async () => ingestUnderTest(freshDir(), writer, 'log'));
}
catalogContract('sqlite', async () => ingestUnderTest(freshDir(), 'inline', 'catalog'));
configContract('sqlite', async () => ingestUnderTest(freshDir(), 'inline', 'configs'));

for (const writer of ['inline', 'worker'] as const) {
  checkpointContract(`sqlite (${writer} store writer)`, async () => {
    const dir = freshDir();
    const open = () => {
      const path = join(dir, 'store.db');
      const store = new SqliteStoreDb(
        openDatabase(path, 'normal'),
        writer === 'worker' ? { kind: 'worker', path, synchronous: 'normal' } : { kind: 'inline' },
      );
      return {
        checkpoints: store,
        points: store,
        anomalies: store,
        async reopen() {
          await store.close();
          return open();
        },
        close: () => store.close(),
      };
    };
    return open();
  });
}

apiKeyStoreContract('sqlite', async () => {
  const dataDir = freshDir();
  const open = (): ApiKeysUnderTest => {
    const keys = openSqliteApiKeys({ dataDir });
    return {
      keys,
      // Another connection to keys.db, as `vigil keys` has while the server runs.
      other: async () => openSqliteApiKeys({ dataDir }),
      async reopen() {
        await keys.close();
        return open();
      },
      close: () => keys.close(),
    };
  };
  return open();
});

auditLogContract('sqlite', async () => {
  const dataDir = freshDir();
  const open = (): AuditUnderTest => {
    const audit = openSqliteAudit({ dataDir });
    return {
      audit,
      // Another connection to audit.db, as `vigil keys` has while the server runs.
      other: async () => openSqliteAudit({ dataDir }),
      async reopen() {
        await audit.close();
        return open();
      },
      close: () => audit.close(),
    };
  };
  return open();
});

alertingStoreContract('sqlite', async () => {
  const dir = freshDir();
  const open = (): AlertingUnderTest => {
    const alerting = openSqliteAlerting({ dataDir: dir });
    return {
      alerting,
      async reopen() {
        await alerting.close();
        return open();
      },
      close: () => alerting.close(),
    };
  };
  return open();
});

function outboxUnderTest(dir: string): OutboxUnderTest {
  const queue = openSqliteOutbox({ dataDir: dir });
  return {
    queue,
    async reopen() {
      await queue.close();
      return outboxUnderTest(dir);
    },
    close: () => queue.close(),
  };
}
notificationOutboxContract('sqlite', async () => outboxUnderTest(freshDir()));

feedbackStoreContract('sqlite', async () => {
  const dataDir = freshDir();
  const open = (): FeedbackUnderTest => {
    const feedback = openSqliteFeedback({ dataDir });
    return {
      feedback,
      async reopen() {
        await feedback.close();
        return open();
      },
      close: () => feedback.close(),
    };
  };
  return open();
});
