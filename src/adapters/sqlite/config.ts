/**
 * Where the embedded store lives and how hard it syncs: the top-level `dataDir` and the `storage`
 * section of the config schema (src/config/schema.ts declares both and their defaults).
 */
import { join } from 'node:path';
import type { Config } from '../../config/schema.ts';

export type SqliteConfig = Pick<Config, 'dataDir'> & Partial<Config['storage']>;

/** The database files under the data dir: the ingest side, the engine side, the API keys, the outbox. */
export interface SqlitePaths {
  /** Series catalog, per-series configs and the point log (see ./log.ts). */
  log: string;
  /** Scored points, anomalies, engine state and the checkpoint offset (see ./store-db.ts). */
  store: string;
  /** API keys (see ./api-key-store.ts): its own file, so `vigil keys` can change it while the server runs. */
  keys: string;
  /** The audit log (see ./audit-log.ts): its own file, for the same reason. */
  audit: string;
  /** The notification outbox (see ./notification-outbox.ts): enqueued by the alerter, drained by delivery. */
  outbox: string;
  /** Alert rules, silences, incidents and the alerter's state (see ./alerting-store.ts). */
  alerting: string;
  /** People's labels on anomalies (see ./feedback-store.ts). */
  feedback: string;
}

export function sqlitePaths(config: Pick<SqliteConfig, 'dataDir'>): SqlitePaths {
  return {
    log: join(config.dataDir, 'log.db'),
    store: join(config.dataDir, 'store.db'),
    keys: join(config.dataDir, 'keys.db'),
    audit: join(config.dataDir, 'audit.db'),
    outbox: join(config.dataDir, 'outbox.db'),
    alerting: join(config.dataDir, 'alerting.db'),
    feedback: join(config.dataDir, 'feedback.db'),
  };
}
