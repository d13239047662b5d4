/**
 * One writer for the anomaly changes of every partition a detector worker owns: changes that arrive
 * while a round is being stored go together in the next one, so storage sees one statement (and
 * the anomalies topic one append) per round instead of one per partition. A round is stored, then
 * published; the next round's store does not wait for that publish, but publishes keep the order
 * of the stores. Each partition's task waits for its own write before the next (see
 * src/engine/anomaly-outbox.ts), so a run's forms stay in order.
 */
import type { Anomaly } from '../core/anomaly.ts';
import type { AnomalySink } from '../ports/meta-store.ts';

interface Waiting {
  partition: number;
  anomalies: readonly Anomaly[];
  resolve(): void;
  reject(err: unknown): void;
}

/** The two steps of a round: every change, grouped by the partition that made it (in arrival order). */
export interface RoundWriter {
  /** Makes the round durable (PostgreSQL). Rounds are stored one at a time, in order. */
  store(byPartition: ReadonlyMap<number, readonly Anomaly[]>): Promise<void>;
  /** Then hands it on (the anomalies topic), one round at a time, in the order they were stored. */
  publish(byPartition: ReadonlyMap<number, readonly Anomaly[]>): Promise<void>;
}

export class SharedAnomalyWriter {
  readonly #w: RoundWriter;
  #waiting: Waiting[] = [];
  #storing = false;
  /** The publish of the last stored round (settled, never rejecting): the next publish follows it. */
  #published: Promise<void> = Promise.resolve();

  constructor(writer: RoundWriter) {
    this.#w = writer;
  }

  /**
   * The sink a partition's runtime writes to; it resolves once the round holding it is stored and
   * published, and rejects if either failed (the runtime then writes the changes again).
   */
  forPartition(partition: number): AnomalySink {
    return {
      write: (anomalies) =>
        new Promise<void>((resolve, reject) => {
          if (anomalies.length === 0) return resolve();
          this.#waiting.push({ partition, anomalies, resolve, reject });
          void this.#run();
        }),
    };
  }

  async #run(): Promise<void> {
    if (this.#storing) return;
    this.#storing = true;
    try {
      while (this.#waiting.length > 0) {
        const round = this.#waiting;
        this.#waiting = [];
        const byPartition = new Map<number, Anomaly[]>();
        for (const w of round) {
          const list = byPartition.get(w.partition);
          if (list === undefined) byPartition.set(w.partition, [...w.anomalies]);
          else list.push(...w.anomalies);
        }
        try {
          await this.#w.store(byPartition);
        } catch (err) {
          for (const w of round) w.reject(err);
          continue;
        }
        // The next round is stored while this one is published: a publish (acks=all) took as long
        // as the store, and every new change waited for both.
        const publishing = this.#published.then(() => this.#w.publish(byPartition));
        this.#published = publishing.catch(() => {});
        publishing.then(
          () => {
            for (const w of round) w.resolve();
          },
          (err: unknown) => {
            for (const w of round) w.reject(err);
          },
        );
      }
    } finally {
      this.#storing = false;
    }
  }
}
