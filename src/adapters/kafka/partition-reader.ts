/**
 * Direct access to single partitions, outside any consumer group: fetch from an offset, the
 * partition's first and next offsets, and dropping records below an offset. The Log port on one
 * partition (KafkaPartitionLog) is built on it.
 *
 * Reads are read-committed: records of open or aborted transactions are never returned, and the
 * end offset is the last stable offset (equal to the high watermark on a partition written without
 * transactions). Fetches run one at a time: the client keeps one incremental fetch session per
 * broker, which concurrent fetches would invalidate for each other.
 */
import { Admin, Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { clientOptions, hasApiError, toVigilError } from './client.ts';
import type { ResolvedKafkaConfig } from './config.ts';
import { type FetchedRecord, partitionRecords } from './fetch-records.ts';

/** The slices of the clients this file calls. */
type ReaderClient = Pick<
  Consumer,
  'fetch' | 'listOffsets' | 'metadata' | 'clearMetadata' | 'topics' | 'close'
>;
type AdminClient = Pick<Admin, 'deleteRecords' | 'close'>;

export interface PartitionFetch {
  records: FetchedRecord[];
  /** Where the next fetch starts. */
  next: number;
}

export class PartitionReader {
  readonly #client: ReaderClient;
  readonly #admin: AdminClient;
  readonly #maxBytes: number;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(config: ResolvedKafkaConfig) {
    this.#maxBytes = config.maxBytesPerPartition;
    // The group id is required by the client's constructor; this consumer never joins a group.
    this.#client = new Consumer({
      ...clientOptions(config, 'reader'),
      groupId: `${config.clientId}-reader`,
      autocommit: false,
    });
    this.#admin = new Admin(clientOptions(config, 'reader-admin'));
  }

  /**
   * Records of `topic`/`partition` from Kafka offset `from` on, as many as one fetch returns
   * without waiting (possibly none). An offset below the partition's start fails with
   * VIGIL_ERR_STORAGE carrying apiId OFFSET_OUT_OF_RANGE in its cause; see `isOutOfRange`.
   */
  fetch(topic: string, partition: number, from: number): Promise<PartitionFetch> {
    return this.#serial(async () => {
      // The client's fetch refreshes metadata for its tracked topics: track this one for the call
      // only, so a topic deleted later cannot fail the reads of the others.
      this.#client.topics.track(topic);
      try {
        const md = await this.#client.metadata({ topics: [topic] });
        const t = md.topics.get(topic);
        const leader = t?.partitions[partition]?.leader;
        if (t === undefined || leader === undefined)
          throw new Error(`unknown partition ${topic}/${partition}`);
        const response = await this.#client.fetch({
          node: leader,
          maxWaitTime: 0,
          minBytes: 0,
          maxBytes: this.#maxBytes,
          topics: [
            {
              topicId: t.id,
              partitions: [
                {
                  partition,
                  fetchOffset: BigInt(from),
                  partitionMaxBytes: this.#maxBytes,
                  currentLeaderEpoch: -1,
                  lastFetchedEpoch: -1,
                },
              ],
            },
          ],
        });
        const p = response.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
        if (p === undefined) return { records: [], next: from };
        const { records, next } = partitionRecords(p, BigInt(from));
        return { records, next: Number(next) };
      } catch (err) {
        this.#client.clearMetadata();
        throw toVigilError(err, `fetch ${topic}/${partition} from ${from}`);
      } finally {
        this.#client.topics.untrack(topic);
      }
    });
  }

  /** The partition's first offset still stored and the offset the next record will get. */
  async bounds(topic: string, partition: number): Promise<{ start: number; end: number }> {
    const [start, end] = await Promise.all([
      this.#offsetAt(topic, partition, ListOffsetTimestamps.EARLIEST),
      this.#offsetAt(topic, partition, ListOffsetTimestamps.LATEST),
    ]);
    return { start, end };
  }

  /** Drops the records below `offset` (Kafka DeleteRecords: moves the log start offset). */
  async deleteBefore(topic: string, partition: number, offset: number): Promise<void> {
    try {
      await this.#admin.deleteRecords({
        topics: [{ name: topic, partitions: [{ partition, offset: BigInt(offset) }] }],
      });
    } catch (err) {
      throw toVigilError(err, `delete records of ${topic}/${partition} below ${offset}`);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#client.close(), this.#admin.close()]);
  }

  async #offsetAt(topic: string, partition: number, timestamp: bigint): Promise<number> {
    try {
      const offsets = await this.#client.listOffsets({
        topics: [topic],
        partitions: { [topic]: [partition] },
        timestamp,
      });
      const o = offsets.get(topic)?.[partition];
      if (o === undefined) throw new Error(`no offset for ${topic}/${partition}`);
      return Number(o);
    } catch (err) {
      throw toVigilError(err, `list offsets of ${topic}/${partition}`);
    }
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/** True when a fetch failed because its offset lies outside the partition's stored range. */
export function isOutOfRange(err: unknown): boolean {
  return hasApiError(
    err instanceof Error && err.cause !== undefined ? err.cause : err,
    'OFFSET_OUT_OF_RANGE',
  );
}
