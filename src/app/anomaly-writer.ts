/**
 * One writer for the anomaly changes of every partition a detector worker owns: changes that arrive
 * while `storesInFlight` rounds are being stored go together in the next one, so under load storage
 * sees one statement (and the anomalies topic one append) per round instead of one per partition. A round is stored, then
 * published (with every round stored while the previous append ran); publishes keep the order of
 * the stores, and a partition's write resolves once its
 * round is **stored**: the next change of that partition (the alert path: see
 * src/engine/anomaly-outbox.ts, which waits for each write before the next) no longer waits for the
 * Kafka append too. That wait chained every partition's changes behind the publishes of all rounds
 * before them (acks=all, tens to hundreds of ms on a loaded machine) and was most of an anomaly's
 * latency at a few thousand messages/s (bench/README.md, Kafka).
 *
 * A publish that fails is retried here, in order, until it succeeds (later rounds wait behind it).
 * What keeps "each change reaches the topic at least once" across a crash is `published(p)`: the
 * detector's checkpoint of partition p awaits it before it commits p's offset, so an offset never
 * moves past a change that is stored but not yet published; a replay from the last checkpoint
 * stores (idempotent upserts) and publishes it again.
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
  /**
   * Makes the round durable (PostgreSQL). Up to `storesInFlight` rounds at once, never two holding
   * changes of the same partition.
   */
  store(byPartition: ReadonlyMap<number, readonly Anomaly[]>): Promise<void>;
  /**
   * Then hands it on (the anomalies topic), one append at a time, in the order stored; the rounds
   * stored while an append runs are handed on together in the next.
   */
  publish(byPartition: ReadonlyMap<number, readonly Anomaly[]>): Promise<void>;
}

export interface AnomalyWriterOptions {
  /** Rounds stored at once (PostgreSQL connections the writer may hold). Default 4. */
  storesInFlight?: number;
  /** First wait before a failed publish is tried again, ms (doubling up to 5 s). Default 100. */
  retryMs?: number;
  /** A publish attempt failed (it is retried). */
  publishFailed?(err: unknown): void;
}

const MAX_RETRY_MS = 5_000;

export class SharedAnomalyWriter {
  readonly #w: RoundWriter;
  readonly #retryMs: number;
  readonly #publishFailed: (err: unknown) => void;
  readonly #storesInFlight: number;
  #waiting: Waiting[] = [];
  #inFlight = 0;
  #closed = false;
  /** Stored rounds not yet handed to a publish, oldest first. */
  #toPublish: { byPartition: ReadonlyMap<number, readonly Anomaly[]>; done(ok: boolean): void }[] = [];
  #publishing = false;
  /** Per partition: settles once its last stored change is published (false: given up at close). */
  readonly #lastPublish = new Map<number, Promise<boolean>>();
  /** Callers of `published` waiting now: told when a publish attempt fails. */
  readonly #failureWaiters = new Set<(err: unknown) => void>();

  constructor(writer: RoundWriter, options: AnomalyWriterOptions = {}) {
    this.#w = writer;
    this.#retryMs = options.retryMs ?? 100;
    this.#storesInFlight = Math.max(1, options.storesInFlight ?? 4);
    this.#publishFailed = options.publishFailed ?? (() => {});
  }

  /**
   * The sink a partition's runtime writes to; it resolves once the round holding it is stored
   * (PostgreSQL), and rejects if the store failed (the runtime then writes the changes again).
   */
  forPartition(partition: number): AnomalySink {
    return {
      write: (anomalies) =>
        new Promise<void>((resolve, reject) => {
          if (anomalies.length === 0) return resolve();
          this.#waiting.push({ partition, anomalies, resolve, reject });
          this.#run();
        }),
    };
  }

  /**
   * Resolves once every change of `partition` stored so far is published. Rejects with the error
   * of a publish attempt that fails meanwhile (the writer keeps retrying it; a later call waits
   * again), so a checkpoint waiting here fails and is retried instead of hanging.
   */
  published(partition: number): Promise<void> {
    const last = this.#lastPublish.get(partition);
    if (last === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const failed = (err: unknown) => {
        this.#failureWaiters.delete(failed);
        reject(err);
      };
      this.#failureWaiters.add(failed);
      void last.then((done) => {
        this.#failureWaiters.delete(failed);
        if (!done) return reject(new Error('anomaly writer closed before the publish succeeded'));
        if (this.#lastPublish.get(partition) === last) this.#lastPublish.delete(partition);
        resolve();
      });
    });
  }

  /** Stops retrying failed publishes (what they held is replayed from the last checkpoint). */
  close(): void {
    this.#closed = true;
  }

  /**
   * Starts rounds while fewer than `storesInFlight` are being stored: a change waits for its own
   * partition's previous write (the outbox's rule), not for other partitions' rounds. Rounds in
   * flight together touch disjoint rows (a series belongs to one partition, and a partition has
   * one write in flight), so their order does not matter; each partition's rounds still complete
   * in the order it made them, and reach the publish queue in that order.
   */
  #run(): void {
    while (this.#waiting.length > 0 && this.#inFlight < this.#storesInFlight) {
      const round = this.#waiting;
      this.#waiting = [];
      this.#inFlight++;
      void this.#store(round).finally(() => {
        this.#inFlight--;
        this.#run();
      });
    }
  }

  async #store(round: Waiting[]): Promise<void> {
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
      return;
    }
    let done!: (ok: boolean) => void;
    const published = new Promise<boolean>((r) => {
      done = r;
    });
    this.#toPublish.push({ byPartition, done });
    for (const p of byPartition.keys()) this.#lastPublish.set(p, published);
    void this.#publishAll();
    for (const w of round) w.resolve();
  }

  /**
   * Publishes every stored round waiting, as one append (each partition's changes in the order
   * stored), while more wait: rounds stored during a publish go out together in the next, so the
   * topic keeps up however short the stores get. A failed append is retried with backoff before
   * anything newer goes out.
   */
  async #publishAll(): Promise<void> {
    if (this.#publishing) return;
    this.#publishing = true;
    try {
      while (this.#toPublish.length > 0) {
        const rounds = this.#toPublish;
        this.#toPublish = [];
        const merged = new Map<number, Anomaly[]>();
        for (const r of rounds) {
          for (const [p, list] of r.byPartition) {
            const into = merged.get(p);
            if (into === undefined) merged.set(p, [...list]);
            else into.push(...list);
          }
        }
        const ok = await this.#publishRetrying(merged);
        for (const r of rounds) r.done(ok);
      }
    } finally {
      this.#publishing = false;
    }
  }

  /** One append, retried with backoff until it succeeds; false when the writer closed first. */
  async #publishRetrying(byPartition: ReadonlyMap<number, readonly Anomaly[]>): Promise<boolean> {
    for (let wait = this.#retryMs; ; wait = Math.min(2 * wait, MAX_RETRY_MS)) {
      if (this.#closed) return false;
      try {
        await this.#w.publish(byPartition);
        return true;
      } catch (err) {
        this.#publishFailed(err);
        for (const tell of [...this.#failureWaiters]) tell(err);
        await new Promise<void>((r) => setTimeout(r, wait).unref());
      }
    }
  }
}
