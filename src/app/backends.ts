/**
 * Which adapter serves each port: decided here and nowhere else. The composition roots take the
 * backends from here and wire them to the engine and the HTTP plugins.
 *
 *   port                         embedded (`vigil serve`)        scaled out (api, processor, detector)
 *   Log / PartitionedLog         SQLite log.db                   Kafka
 *   SeriesCatalog, ConfigStore   SQLite log.db                   PostgreSQL
 *   PointStore                   SQLite store.db (engine thread) InfluxDB
 *   AnomalyStore                 SQLite store.db (engine thread) PostgreSQL
 *   CheckpointStore              SQLite store.db (engine thread) PostgreSQL; states and offset in
 *                                                                Redis with redis.checkpointStates
 *   Cache (dedup, rate limits)   memory                          Redis Cluster
 *   ApiKeyStore                  SQLite keys.db                  PostgreSQL (read on the primary)
 *   AuditLog                     SQLite audit.db                 PostgreSQL (read on the primary)
 *   AlertingStore                SQLite alerting.db              PostgreSQL (`vigil api`, `vigil alerter`)
 *   NotificationOutbox           SQLite outbox.db                PostgreSQL (`vigil alerter`)
 *   FeedbackStore                SQLite feedback.db              PostgreSQL (`vigil api` writes, detectors poll)
 *
 * Each adapter reads its own section of the config; a new backend for a port is one more row here
 * (see docs/guides/add-a-storage-backend.md). The scaled-out adapters are imported only when
 * `openScaledOut` runs: `vigil serve` never loads the Kafka, PostgreSQL or Redis clients (their
 * modules would stay in its heap for good; test/integration/cli-module-footprint.test.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import { MemoryCache } from '../adapters/memory/cache.ts';
import type { PgRetention, PgSeriesTombstones } from '../adapters/postgres/index.ts';
import {
  openSqliteAlerting,
  openSqliteApiKeys,
  openSqliteAudit,
  openSqliteFeedback,
  openSqliteIngest,
  type SqliteIngest,
  type SqlitePaths,
  sqlitePaths,
} from '../adapters/sqlite/index.ts';
import type { Config } from '../config/schema.ts';
import type { AlertingStore } from '../ports/alerting-store.ts';
import type { ApiKeyStore } from '../ports/api-key-store.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import type { Cache } from '../ports/cache.ts';
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { LeaderLock } from '../ports/leader-lock.ts';
import type { AnomalySink, AnomalyStore, ConfigStore } from '../ports/meta-store.ts';
import type { DeliveryQueue } from '../ports/notification-outbox.ts';
import type { PartitionedLog } from '../ports/partitioned-log.ts';
import type { PointSink, PointStore } from '../ports/point-store.ts';
import type { SeriesCatalog } from '../ports/series-catalog.ts';

export interface ScaledOut {
  log: PartitionedLog;
  /**
   * With `known`: a synchronous lookup of the keys this process has seen (ingest's fast path);
   * `forget` drops deleted series from that cache.
   */
  catalog: SeriesCatalog & { known(key: string): number | undefined; forget(ids: Iterable<number>): void };
  /** Deleting series in PostgreSQL, and the tombstones every process polls (./tombstone-poll.ts). */
  tombstones: PgSeriesTombstones;
  /** The PostgreSQL side of the retention sweep (./scaled-retention.ts). */
  retention: PgRetention;
  configs: ConfigStore;
  /** Reads (replica-tolerant) and the detectors' immediate writes (primary). */
  anomalies: AnomalyStore & AnomalySink;
  /** With the deletes of series and of a tenant's old points (InfluxDB 1.x InfluxQL DELETE). */
  points: PointStore &
    PointSink & {
      deleteSeries(seriesIds: readonly number[]): Promise<number>;
      deleteBefore(tagName: string, tenant: string, cutoffMs: number): Promise<number>;
    };
  /** API keys, read on the primary (revocations reach every replica at once). */
  apiKeys: ApiKeyStore;
  /** Who changed what (configure and admin routes), written and read on the primary. */
  audit: AuditLog;
  /** Alert rules, silences, incidents and the alerter's state (read and written on the primary). */
  alerting: AlertingStore;
  /** The notification outbox and delivery queue shared by every alerter replica. */
  outbox: DeliveryQueue;
  /** Labels on anomalies: `vigil api` stores them, detectors poll their changes (./feedback-poll.ts). */
  feedback: FeedbackStore;
  /** Waits until this process is the one active holder of `name` among replicas (PostgreSQL). */
  leaderLock(name: string): LeaderLock;
  /**
   * Checkpoints of one partition of `topic`: scores to InfluxDB, then anomalies, states and offset
   * to PostgreSQL in one transaction — or, with `redis.checkpointStates`, anomalies to PostgreSQL
   * and then states and offset to Redis. Its `deleteSeries` deletes what the detector may have
   * written of deleted series since their deletion: points, anomalies and stored states.
   */
  checkpointsFor(topic: string, partition: number): CheckpointStore;
  /** The shared Cache (Redis Cluster), connected on first call; closed with the rest. */
  cache(): Promise<Cache>;
  close(): Promise<void>;
}

/** The embedded server's backends on this thread; the engine thread opens `paths.store` itself. */
export interface EmbeddedBackends {
  /** `log.db`: Log, SeriesCatalog, ConfigStore. */
  ingest: SqliteIngest;
  cache: Cache;
  /** `keys.db`. */
  apiKeys: ApiKeyStore;
  /** `audit.db`. */
  audit: AuditLog;
  /** `alerting.db`: rules, silences, incidents, the alerter's state. */
  alerting: AlertingStore;
  /** `feedback.db`. */
  feedback: FeedbackStore;
  paths: SqlitePaths;
  close(): Promise<void>;
}

/**
 * Opens `log.db` under the data dir with its commits on a writer thread, which hands each
 * committed append to each of `forward` (the engine threads' entry ports).
 */
export function openEmbedded(config: Readonly<Config>, forward: MessagePort[]): EmbeddedBackends {
  const paths = sqlitePaths(config);
  const ingest = openSqliteIngest(
    { dataDir: config.dataDir, synchronous: config.storage.synchronous },
    { commits: 'worker', forward },
  );
  const apiKeys = openSqliteApiKeys(config);
  const audit = openSqliteAudit(config);
  const alerting = openSqliteAlerting(config);
  const feedback = openSqliteFeedback(config);
  return {
    ingest,
    cache: new MemoryCache(),
    apiKeys,
    audit,
    alerting,
    feedback,
    paths,
    close: async () => {
      await ingest.close();
      await apiKeys.close();
      await audit.close();
      await alerting.close();
      await feedback.close();
    },
  };
}

export interface Topics {
  /** Requests as accepted by `vigil api`, partitioned by series. */
  ingest: string;
  /** Clean points from `vigil processor`, partitioned by series; read by `vigil detector`. */
  points: string;
  /** Anomalies as detectors commit them (JSON, at least once), for alerting and other consumers. */
  anomalies: string;
}

export function topicsOf(config: Readonly<Config>): Topics {
  const p = config.kafka.topicPrefix;
  return { ingest: `${p}.ingest`, points: `${p}.points`, anomalies: `${p}.anomalies` };
}

export async function openScaledOut(config: Readonly<Config>, logger: Logger): Promise<ScaledOut> {
  const [
    { connectInflux, InfluxPointStore },
    { connectKafka, KafkaPartitionedLog },
    { openPostgres },
    redisAdapter,
  ] = await Promise.all([
    import('../adapters/influx/index.ts'),
    import('../adapters/kafka/index.ts'),
    import('../adapters/postgres/index.ts'),
    import('../adapters/redis/index.ts'),
  ]);
  const { connectRedis, openRedisCache, RedisCheckpointStates } = redisAdapter;
  const pg = await openPostgres(config.postgres);
  try {
    const influx = await connectInflux(config.influx);
    const points = new InfluxPointStore({ client: influx, series: pg.catalog });
    // Each process its own client id, so brokers (and their logs) tell the replicas apart.
    const kafka = connectKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-${process.pid}` });
    const log = new KafkaPartitionedLog(kafka, {
      onError: (err) => logger.warn({ err }, 'kafka: retrying'),
    });
    const checkpoints = pg.checkpoints(points);
    let cache: Promise<Cache> | undefined;
    const redis = config.redis.checkpointStates ? await connectRedis(config.redis) : undefined;
    const purge = async (ids: readonly number[]) => ({
      points: await points.deleteSeries(ids),
      chunks: 0,
      anomalies: await pg.tombstones.purge(ids),
    });
    return {
      log,
      catalog: pg.catalog,
      tombstones: pg.tombstones,
      retention: pg.retention,
      configs: pg.configs,
      anomalies: pg.anomalies,
      points,
      apiKeys: pg.apiKeys,
      audit: pg.audit,
      alerting: pg.alerting,
      outbox: pg.outbox,
      feedback: pg.feedback,
      leaderLock: (name) => pg.leaderLock(name),
      checkpointsFor: (topic, partition) => {
        const pgStore = checkpoints.forPartition(`${topic}/${partition}`);
        if (redis === undefined)
          return { commit: (d) => pgStore.commit(d), load: () => pgStore.load(), deleteSeries: purge };
        const states = new RedisCheckpointStates(redis, partition, {
          keyPrefix: `${config.redis.keyPrefix}${topic}:`,
        });
        return {
          // Scores and anomalies first (idempotent upserts; PostgreSQL's offset stays 0 here), then
          // the states with their offset: a crash between the two replays from the older offset.
          commit: async (data) => {
            await pgStore.commit({ ...data, offset: 0, states: new Map() });
            await states.commit(data.offset, data.states);
          },
          load: () => states.load(),
          deleteSeries: async (ids) => {
            const removed = await purge(ids);
            await states.forget(ids);
            return removed;
          },
        };
      },
      cache: () => {
        cache ??= openRedisCache(config.redis);
        return cache;
      },
      close: async () => {
        await (await cache?.catch(() => undefined))?.close();
        await redis?.close();
        await log.close();
        await kafka.close();
        await pg.close();
      },
    };
  } catch (err) {
    await pg.close();
    throw err;
  }
}
