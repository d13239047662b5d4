/**
 * How Vigil reaches a Kafka cluster and the knobs of its producers and consumers. Defaults suit a
 * 3-broker cluster on a LAN; tests shorten the group timeouts so partitions move within seconds.
 */
import { VigilError } from '../../core/errors.ts';

export interface KafkaConfig {
  /** Bootstrap brokers as `host:port` (any subset of the cluster; the client discovers the rest). */
  brokers: string[];
  /** Prefix of the client ids the brokers see (`<clientId>-producer`, `<clientId>-reader`, …). */
  clientId: string;
  /** Replicas of each topic Vigil creates. Default 3. */
  replicationFactor?: number;
  /** `min.insync.replicas` of each topic Vigil creates: acks=all needs that many. Default 2. */
  minInsyncReplicas?: number;
  /** How long the producer waits to gather concurrent sends into one request. Default 2. */
  lingerMs?: number;
  /**
   * How long a fetch waits at the broker for data. Data arriving ends the wait at once, so this
   * bounds only how long a partition that became ready (its handler finished, it was just
   * assigned) waits for the fetch in flight on its broker, and how often idle partitions poll.
   * Default 10.
   */
  maxWaitMs?: number;
  /** Bound on one request's round trip before it counts as failed. Default 5 000. */
  requestTimeoutMs?: number;
  /**
   * How long a send keeps retrying (leader moves, a broker restarting) before it fails with
   * VIGIL_ERR_UNAVAILABLE. Default 15 000.
   */
  unavailableAfterMs?: number;
  /** Group session timeout: a member that stops heartbeating loses its partitions after this. Default 10 000. */
  sessionTimeoutMs?: number;
  /** Group heartbeat interval. Default 1 000. */
  heartbeatIntervalMs?: number;
  /**
   * How long a rebalance waits for members to rejoin; a member's revoke handler (its checkpoint)
   * MUST finish within it. Default 30 000.
   */
  rebalanceTimeoutMs?: number;
  /** Largest amount of data one fetch returns per partition. Default 1 MiB. */
  maxBytesPerPartition?: number;
}

export type ResolvedKafkaConfig = Required<KafkaConfig>;

export const KAFKA_DEFAULTS = {
  replicationFactor: 3,
  minInsyncReplicas: 2,
  lingerMs: 2,
  maxWaitMs: 10,
  requestTimeoutMs: 5_000,
  unavailableAfterMs: 15_000,
  sessionTimeoutMs: 10_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
  maxBytesPerPartition: 1_048_576,
} as const;

const BROKER = /^(?:\[[^\]]+\]|[^:\s]+):(\d{1,5})$/;

/** Fills defaults and checks the config; a bad value fails with VIGIL_ERR_CONFIG naming its field. */
export function resolveKafkaConfig(config: KafkaConfig): ResolvedKafkaConfig {
  if (config.brokers.length === 0)
    throw new VigilError('VIGIL_ERR_CONFIG', 'kafka.brokers: must list a broker');
  config.brokers.forEach((b, i) => {
    const m = BROKER.exec(b.trim());
    const port = m === null ? Number.NaN : Number(m[1]);
    if (!(port >= 1 && port <= 65535)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `kafka.brokers[${i}]: must be host:port, got "${b}"`);
    }
  });
  const r: ResolvedKafkaConfig = {
    ...KAFKA_DEFAULTS,
    ...(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as KafkaConfig),
    brokers: config.brokers.map((b) => b.trim()),
  };
  if (r.maxWaitMs >= r.requestTimeoutMs) {
    throw new VigilError('VIGIL_ERR_CONFIG', 'kafka.maxWaitMs: must be below kafka.requestTimeoutMs');
  }
  if (r.heartbeatIntervalMs >= r.sessionTimeoutMs || r.sessionTimeoutMs > r.rebalanceTimeoutMs) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      'kafka.sessionTimeoutMs: must lie between heartbeatIntervalMs and rebalanceTimeoutMs',
    );
  }
  return r;
}
