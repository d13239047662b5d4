/**
 * How Vigil reaches a Kafka cluster and the knobs of its producers and consumers. The schema's
 * defaults suit a 3-broker cluster on a LAN; tests shorten the group timeouts so partitions move
 * within seconds.
 */
import { type Config, listOf, withDefaults } from '../../config/schema.ts';
import { VigilError } from '../../core/errors.ts';

type KafkaSection = Config['kafka'];

/**
 * The `kafka` section of the config schema (src/config/schema.ts declares every key, its meaning
 * and its default); a key left out takes the schema's default. `brokers` (bootstrap `host:port`s,
 * any subset of the cluster) may be the section's comma-separated string or a list.
 * `clientId` prefixes the client ids the brokers see (`<clientId>-producer`, `<clientId>-reader`, …).
 */
export type KafkaConfig = Partial<Omit<KafkaSection, 'brokers'>> & { brokers: string | readonly string[] };

export type ResolvedKafkaConfig = Omit<KafkaSection, 'brokers'> & { brokers: string[] };

const BROKER = /^(?:\[[^\]]+\]|[^:\s]+):(\d{1,5})$/;

/** Fills defaults and checks the config; a bad value fails with VIGIL_ERR_CONFIG naming its field. */
export function resolveKafkaConfig(config: KafkaConfig): ResolvedKafkaConfig {
  const brokers =
    typeof config.brokers === 'string' ? listOf(config.brokers) : config.brokers.map((b) => b.trim());
  if (brokers.length === 0) throw new VigilError('VIGIL_ERR_CONFIG', 'kafka.brokers: must list a broker');
  brokers.forEach((b, i) => {
    const m = BROKER.exec(b);
    const port = m === null ? Number.NaN : Number(m[1]);
    if (!(port >= 1 && port <= 65535)) {
      throw new VigilError('VIGIL_ERR_CONFIG', `kafka.brokers[${i}]: must be host:port, got "${b}"`);
    }
  });
  const r: ResolvedKafkaConfig = { ...withDefaults('kafka', { ...config, brokers: '' }), brokers };
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
