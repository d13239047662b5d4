/**
 * One writer for the anomaly changes of every partition a detector worker owns: changes that arrive
 * while a write is in flight go together in the next one, so storage sees one statement (and the
 * anomalies topic one append) per round instead of one per partition. Each partition's runtime
 * waits for its own write before the next (see PartitionRuntime), so a run's forms stay in order.
 */
import type { Anomaly } from '../core/anomaly.ts';
import type { AnomalySink } from '../ports/meta-store.ts';

interface Waiting {
  partition: number;
  anomalies: readonly Anomaly[];
  resolve(): void;
  reject(err: unknown): void;
}

/** Writes one round: every change, grouped by the partition that made it (in arrival order). */
export type WriteRound = (byPartition: ReadonlyMap<number, readonly Anomaly[]>) => Promise<void>;

export class SharedAnomalyWriter {
  readonly #write: WriteRound;
  #waiting: Waiting[] = [];
  #writing = false;

  constructor(write: WriteRound) {
    this.#write = write;
  }

  /** The sink a partition's runtime writes to; it resolves once the round holding it is durable. */
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
    if (this.#writing) return;
    this.#writing = true;
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
          await this.#write(byPartition);
          for (const w of round) w.resolve();
        } catch (err) {
          for (const w of round) w.reject(err);
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}
