/**
 * Builds the PostgreSQL adapters from their config. `openPostgres` connects, brings the schema up
 * to date (safe when several roles start at once: see migrations.ts) and returns the ports on one
 * pair of pools; closing it closes the pools. The migration is a write transaction, so the
 * process's replica reads see everything committed before it opened (see PgPools).
 */
import type { PointSink } from '../../ports/point-store.ts';
import { PgAlertingStore } from './alerting-store.ts';
import { PgAnomalyStore } from './anomaly-store.ts';
import { PgApiKeyStore } from './api-key-store.ts';
import { PgAuditLog } from './audit-log.ts';
import { PgCheckpoints } from './checkpoint-store.ts';
import type { PostgresConfig } from './config.ts';
import { PgConfigStore } from './config-store.ts';
import { PgFeedbackStore } from './feedback-store.ts';
import { PgLeaderLock } from './leader-lock.ts';
import { migrate } from './migrations.ts';
import { PgNotificationOutbox } from './notification-outbox.ts';
import { PgPools } from './pools.ts';
import { PgRetention } from './retention.ts';
import { PgSeriesCatalog } from './series-catalog.ts';
import { PgSeriesTombstones } from './series-tombstones.ts';

export { PgAlertingStore } from './alerting-store.ts';
export { PgAnomalyStore } from './anomaly-store.ts';
export { PgApiKeyStore } from './api-key-store.ts';
export { PgAuditLog } from './audit-log.ts';
export { PgCheckpoints } from './checkpoint-store.ts';
export { type PostgresConfig, resolvePostgresConfig } from './config.ts';
export { PgConfigStore } from './config-store.ts';
export { PgFeedbackStore } from './feedback-store.ts';
export { PgLeaderLock } from './leader-lock.ts';
export { migrate } from './migrations.ts';
export { PgNotificationOutbox } from './notification-outbox.ts';
export { isConnectionFailure, PgPools } from './pools.ts';
export { PgRetention } from './retention.ts';
export { PgSeriesCatalog } from './series-catalog.ts';
export { PgSeriesTombstones, type Tombstone } from './series-tombstones.ts';

export interface PostgresStores {
  catalog: PgSeriesCatalog;
  /** Deleted series (one transaction each) and their tombstones. */
  tombstones: PgSeriesTombstones;
  /** The PostgreSQL side of the retention sweep. */
  retention: PgRetention;
  configs: PgConfigStore;
  anomalies: PgAnomalyStore;
  apiKeys: PgApiKeyStore;
  audit: PgAuditLog;
  /** The notification outbox and its delivery queue (the alerter's). */
  outbox: PgNotificationOutbox;
  /** Alert rules, silences, incidents (the `vigil alerter` role's store). */
  alerting: PgAlertingStore;
  /** People's labels on anomalies, with the change cursor detectors poll. */
  feedback: PgFeedbackStore;
  /** A session-level advisory lock named `name` (one active process among replicas). */
  leaderLock(name: string): PgLeaderLock;
  /** Per-partition checkpoints that write their points to `sink` (InfluxDB in production). */
  checkpoints(sink: PointSink): PgCheckpoints;
  close(): Promise<void>;
}

/**
 * Opens the pools and migrates. Fails with VIGIL_ERR_CONFIG on a malformed config and
 * VIGIL_ERR_UNAVAILABLE when the primary cannot be reached (the replica is not needed to start).
 */
export async function openPostgres(config: PostgresConfig): Promise<PostgresStores> {
  const pools = new PgPools(config);
  try {
    await migrate(pools);
  } catch (err) {
    await pools.close();
    throw err;
  }
  return {
    catalog: new PgSeriesCatalog(pools),
    tombstones: new PgSeriesTombstones(pools),
    retention: new PgRetention(pools),
    configs: new PgConfigStore(pools),
    anomalies: new PgAnomalyStore(pools),
    apiKeys: new PgApiKeyStore(pools),
    audit: new PgAuditLog(pools),
    outbox: new PgNotificationOutbox(pools),
    alerting: new PgAlertingStore(pools),
    feedback: new PgFeedbackStore(pools),
    leaderLock: (name) => new PgLeaderLock(pools, name),
    checkpoints: (sink) => new PgCheckpoints(pools, sink),
    close: () => pools.close(),
  };
}
