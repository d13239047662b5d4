/**
 * Topics Vigil owns: created on demand with the configured replication and `min.insync.replicas`,
 * never implicitly by a produce (brokers run with auto-creation off). `ensure` is idempotent and
 * resolves only once every partition has a leader, so a send right after it does not race the
 * metadata propagating through the cluster.
 */
import { Admin } from '@platformatic/kafka';
import { VigilError } from '../../core/errors.ts';
import { clientOptions, hasApiError, toVigilError } from './client.ts';
import type { ResolvedKafkaConfig } from './config.ts';

/** The slice of the admin client this file calls. */
type AdminClient = Pick<Admin, 'createTopics' | 'deleteTopics' | 'metadata' | 'close'>;

const LEADERS_WITHIN_MS = 30_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class KafkaTopics {
  readonly #admin: AdminClient;
  readonly #config: ResolvedKafkaConfig;
  /** Topics known to exist with their partition count (ensure is called on every role start). */
  readonly #known = new Map<string, number>();

  constructor(config: ResolvedKafkaConfig) {
    this.#config = config;
    this.#admin = new Admin(clientOptions(config, 'admin'));
  }

  /**
   * Creates `topic` with `partitions` partitions when it does not exist. An existing topic with a
   * different partition count fails with VIGIL_ERR_CONFIG: records are placed by partition number,
   * so Vigil and the topic MUST agree on it.
   */
  async ensure(topic: string, partitions: number): Promise<void> {
    if (this.#known.get(topic) === partitions) return;
    try {
      await this.#admin.createTopics({
        topics: [topic],
        partitions,
        replicas: this.#config.replicationFactor,
        configs: [{ name: 'min.insync.replicas', value: String(this.#config.minInsyncReplicas) }],
      });
    } catch (err) {
      if (!hasApiError(err, 'TOPIC_ALREADY_EXISTS')) throw toVigilError(err, `create topic ${topic}`);
    }
    const count = await this.#waitForLeaders(topic);
    if (count !== partitions) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `kafka topic ${topic} has ${count} partitions, the configuration says ${partitions}`,
      );
    }
    this.#known.set(topic, partitions);
  }

  /** Deletes topics (tests clean up with it); missing ones are ignored. */
  async delete(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    try {
      await this.#admin.deleteTopics({ topics: [...topics] });
    } catch (err) {
      if (!hasApiError(err, 'UNKNOWN_TOPIC_OR_PARTITION')) throw toVigilError(err, 'delete topics');
    }
    for (const t of topics) this.#known.delete(t);
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }

  /** Partition count of `topic` once all its partitions have a leader. */
  async #waitForLeaders(topic: string): Promise<number> {
    const deadline = performance.now() + LEADERS_WITHIN_MS;
    for (;;) {
      try {
        const md = await this.#admin.metadata({ topics: [topic], forceUpdate: true });
        const t = md.topics.get(topic);
        if (t !== undefined && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) {
          return t.partitionsCount;
        }
      } catch (err) {
        // Right after creation a broker may not know the topic yet: that is what we wait out.
        if (!hasApiError(err, 'UNKNOWN_TOPIC_OR_PARTITION') && !hasApiError(err, 'LEADER_NOT_AVAILABLE')) {
          if (performance.now() > deadline) throw toVigilError(err, `metadata of topic ${topic}`);
        }
      }
      if (performance.now() > deadline) {
        throw new VigilError('VIGIL_ERR_UNAVAILABLE', `kafka topic ${topic}: partitions without a leader`);
      }
      await sleep(100);
    }
  }
}
