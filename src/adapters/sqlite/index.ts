/**
 * Builds the embedded SQLite adapters (`node:sqlite`) from their config. Files under the data
 * dir (./config.ts), each with one writer:
 *   - `openSqliteIngest`: `log.db`, the Log, SeriesCatalog and ConfigStore ports on one connection,
 *     log commits on their own thread (./log-writer.ts) in the server;
 *   - `new SqliteStoreDb(…)`: `store.db`, the CheckpointStore with the PointStore and AnomalyStore
 *     that read what checkpoints wrote, commits on their own thread (./store-writer.ts); the
 *     embedded engine thread opens it (src/app/engine-worker.ts).
 *   - `openSqliteApiKeys`: `keys.db`, the ApiKeyStore, written by the server and `vigil keys`.
 *   - `openSqliteAudit`: `audit.db`, the AuditLog, appended by the server and `vigil keys`.
 *   - `openSqliteOutbox`: `outbox.db`, the notification outbox and its delivery queue.
 *   - `openSqliteAlerting`: `alerting.db`, the AlertingStore (rules, silences, incidents).
 *   - `openSqliteFeedback`: `feedback.db`, the FeedbackStore, written by the server.
 * Both threads are called through the one worker-RPC helper (../os/worker-rpc.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { withDefaults } from '../../config/schema.ts';
import { SqliteAlertingStore } from './alerting-store.ts';
import { SqliteApiKeyStore } from './api-key-store.ts';
import { SqliteAuditLog } from './audit-log.ts';
import { type SqliteConfig, sqlitePaths } from './config.ts';
import { SqliteConfigStore } from './config-store.ts';
import { openDatabase } from './database.ts';
import { SqliteFeedbackStore } from './feedback-store.ts';
import { SqliteLog } from './log.ts';
import { SqliteNotificationOutbox } from './notification-outbox.ts';
import { SqliteSeriesCatalog } from './series-catalog.ts';

export { SqliteAlertingStore } from './alerting-store.ts';
export { SqliteApiKeyStore } from './api-key-store.ts';
export { SqliteAuditLog } from './audit-log.ts';
export { type SqliteConfig, type SqlitePaths, sqlitePaths } from './config.ts';
export { SqliteConfigStore } from './config-store.ts';
export { openDatabase, writeTransaction } from './database.ts';
export { type EngineStores, engineStores } from './engine-stores.ts';
export { SqliteFeedbackStore } from './feedback-store.ts';
export { type LogCommits, SqliteLog, SqliteLogReader } from './log.ts';
export { SqliteNotificationOutbox } from './notification-outbox.ts';
export { SqliteSeriesCatalog } from './series-catalog.ts';
export { SqliteStoreDb } from './store-db.ts';

/** The ingest side of the embedded store; `close` ends the log writer and the connection. */
export interface SqliteIngest {
  log: SqliteLog;
  catalog: SqliteSeriesCatalog;
  configs: SqliteConfigStore;
  /**
   * Deletes series and their configs from log.db in one transaction, leaving tombstones (see
   * ./series-catalog.ts); returns the ids that existed. The stored points are the engine's to delete.
   */
  deleteSeries(ids: readonly number[], nowMs: number): number[];
  close(): Promise<void>;
}

/**
 * Opens `log.db` under the data dir. `commits: 'worker'` (what the server uses) commits the log on
 * a writer thread, which sends each committed append to `forward` too (see log-worker.ts).
 */
export function openSqliteIngest(
  config: SqliteConfig,
  opts: { commits: 'inline' | 'worker'; forward?: MessagePort[] },
): SqliteIngest {
  const { synchronous } = withDefaults('storage', config.synchronous === undefined ? {} : config);
  const path = sqlitePaths(config).log;
  const db = openDatabase(path, synchronous);
  const log = new SqliteLog(
    db,
    opts.commits === 'worker'
      ? {
          kind: 'worker',
          path,
          synchronous,
          ...(opts.forward !== undefined ? { forward: opts.forward } : {}),
        }
      : { kind: 'inline' },
  );
  const catalog = new SqliteSeriesCatalog(db);
  const configs = new SqliteConfigStore(db);
  return {
    log,
    catalog,
    configs,
    deleteSeries: (ids, nowMs) => catalog.remove(ids, nowMs, (gone) => configs.removeConfigs(gone)),
    close: async () => {
      await log.close();
      db.close();
    },
  };
}

/** Opens `keys.db` under the data dir (created when missing); `close` closes it. */
export function openSqliteApiKeys(config: Pick<SqliteConfig, 'dataDir'>): SqliteApiKeyStore {
  return new SqliteApiKeyStore(openDatabase(sqlitePaths(config).keys, 'full'));
}

/** Opens `audit.db` under the data dir (created when missing); `close` closes it. */
export function openSqliteAudit(config: Pick<SqliteConfig, 'dataDir'>): SqliteAuditLog {
  return new SqliteAuditLog(openDatabase(sqlitePaths(config).audit, 'full'));
}

/**
 * Opens `outbox.db` under the data dir (created when missing), synced like the ingest log
 * (`storage.synchronous`: full by default, a commit survives power loss; normal, a crash only, at
 * about a tenth of the cost per enqueue); `close` closes it.
 */
export function openSqliteOutbox(
  config: SqliteConfig,
  opts: { now?: () => number } = {},
): SqliteNotificationOutbox {
  const { synchronous } = withDefaults('storage', config.synchronous === undefined ? {} : config);
  return new SqliteNotificationOutbox(openDatabase(sqlitePaths(config).outbox, synchronous), opts);
}

/** Opens `alerting.db` under the data dir (created when missing); `close` closes it. */
export function openSqliteAlerting(config: Pick<SqliteConfig, 'dataDir'>): SqliteAlertingStore {
  return new SqliteAlertingStore(openDatabase(sqlitePaths(config).alerting, 'full'));
}

/** Opens `feedback.db` under the data dir (created when missing); `close` closes it. */
export function openSqliteFeedback(config: Pick<SqliteConfig, 'dataDir'>): SqliteFeedbackStore {
  return new SqliteFeedbackStore(openDatabase(sqlitePaths(config).feedback, 'full'));
}
