/**
 * The port contracts (catalog, config, checkpoint, alerting, outbox, feedback, …) on PostgreSQL (primary + streaming replica from
 * scripts/services/postgres.sh), once on the primary alone and once with reads routed to the
 * replica (which must still read this process's own writes). Every opened store gets its own
 * schema `t_<run>_<n>`; the run's schemas are dropped at the end. Checkpoints write their points
 * to a MemoryPointStore that outlives `reopen`, as InfluxDB outlives a detector restart.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { MemoryPointStore } from '../../src/adapters/memory/point-store.ts';
import {
  openPostgres,
  PgApiKeyStore,
  PgAuditLog,
  PgPools,
  type PostgresConfig,
  type PostgresStores,
} from '../../src/adapters/postgres/index.ts';
import { service } from '../support/services.ts';
import { alertingStoreContract } from './alerting-store.contract.ts';
import { anomalySinkContract } from './anomaly-sink.contract.ts';
import { apiKeyStoreContract } from './api-key-store.contract.ts';
import { auditLogContract } from './audit-log.contract.ts';
import { catalogContract } from './catalog.contract.ts';
import { checkpointContract } from './checkpoint.contract.ts';
import { configContract } from './config.contract.ts';
import { feedbackStoreContract } from './feedback-store.contract.ts';
import { notificationOutboxContract } from './notification-outbox.contract.ts';

const run = `t_${randomBytes(4).toString('hex')}`;
const schemas: string[] = [];
let url = '';
let replicaUrl = '';

beforeAll(() => {
  const env = service('postgres');
  url = env.VIGIL_PG_URL!;
  replicaUrl = env.VIGIL_PG_REPLICA_URL!;
});

afterAll(async () => {
  if (url === '' || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
  } finally {
    await client.end();
  }
});

/** A config on a schema of its own; with `replica`, reads go to the replica. */
function freshConfig(replica: boolean): PostgresConfig {
  const schema = `${run}_${schemas.length}`;
  schemas.push(schema);
  return { url, schema, poolSize: 4, ...(replica ? { replicaUrl } : {}) };
}

/** Opens the stores on `config` and hands out `ports` of them; `reopen` closes and opens again. */
function reopenable<T extends object>(config: PostgresConfig, ports: (pgs: PostgresStores) => T) {
  type Opened = T & { reopen(): Promise<Opened>; close(): Promise<void> };
  const open = async (): Promise<Opened> => {
    const pgs = await openPostgres(config);
    const reopen = async () => {
      await pgs.close();
      return open();
    };
    return { ...ports(pgs), reopen, close: pgs.close };
  };
  return open();
}

for (const replica of [false, true]) {
  const name = replica ? 'postgres (reads on the replica)' : 'postgres (primary only)';

  catalogContract(name, async () => reopenable(freshConfig(replica), (pgs) => ({ catalog: pgs.catalog })));

  configContract(name, async () => reopenable(freshConfig(replica), (pgs) => ({ configs: pgs.configs })));

  alertingStoreContract(name, async () =>
    reopenable(freshConfig(replica), (pgs) => ({ alerting: pgs.alerting })),
  );

  checkpointContract(name, async () => {
    const points = new MemoryPointStore();
    return reopenable(freshConfig(replica), (pgs) => ({
      checkpoints: pgs.checkpoints(points).forPartition('p0'),
      points,
      anomalies: pgs.anomalies,
    }));
  });

  apiKeyStoreContract(name, async () => {
    const config = freshConfig(replica);
    return reopenable(config, (pgs) => ({
      keys: pgs.apiKeys,
      // Pools of their own on the same schema: another API replica, or the CLI.
      other: async () => new PgApiKeyStore(new PgPools(config), { owned: true }),
    }));
  });

  auditLogContract(name, async () => {
    const config = freshConfig(replica);
    return reopenable(config, (pgs) => ({
      audit: pgs.audit,
      other: async () => new PgAuditLog(new PgPools(config), { owned: true }),
    }));
  });

  anomalySinkContract(name, async () =>
    reopenable(freshConfig(replica), (pgs) => ({ sink: pgs.anomalies, anomalies: pgs.anomalies })),
  );

  notificationOutboxContract(name, async () =>
    reopenable(freshConfig(replica), (pgs) => ({ queue: pgs.outbox })),
  );

  feedbackStoreContract(name, async () =>
    reopenable(freshConfig(replica), (pgs) => ({ feedback: pgs.feedback })),
  );
}
