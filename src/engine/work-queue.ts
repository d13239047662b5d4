/**
 * The entries of one partition waiting to be processed, and the loop that processes them in
 * slices: a slice ends after PROCESS_SLICE points or PROCESS_SLICE_MS, then the loop yields so that
 * I/O, other partitions and requests run between slices. Entries at or below the last offset it
 * accepted are skipped, so a redelivery (a rebalance, a replay overlapping live entries) is harmless.
 *
 * No I/O and no clock of its own: `now` and `defer` are injected (the task host's time).
 */
import type { LogEntry } from '../ports/log.ts';

export interface WorkQueueDeps {
  /** Processes one entry, synchronously. */
  process(entry: LogEntry): void;
  /** Monotonic milliseconds, read every CLOCK_EVERY points to end a slice. */
  now(): number;
  /** Resolves on a later turn. */
  defer(): Promise<void>;
}

/** Points processed per turn at most before yielding to I/O … */
const PROCESS_SLICE = 20_000;
/**
 * … or milliseconds, whichever comes first: a heavy detector (~6 µs per point) would otherwise hold
 * the thread for 100 ms+, and consumed records, anomaly writes and requests wait behind it.
 */
const PROCESS_SLICE_MS = 5;

/** Points between two reads of the clock within a slice. */
const CLOCK_EVERY = 256;

export class WorkQueue {
  readonly #d: WorkQueueDeps;
  #queue: LogEntry[] = [];
  #queuedPoints = 0;
  /** Offset of the newest entry accepted (queued or processed). */
  #last = 0;
  #processed = 0;
  #running = false;
  #paused = false;
  /** Points accepted since start. */
  accepted = 0;

  constructor(deps: WorkQueueDeps) {
    this.#d = deps;
  }

  /** Before the first `push`: the entries up to `offset` are reflected already (a restored checkpoint). */
  startAfter(offset: number): void {
    this.#last = offset;
    this.#processed = offset;
  }

  /** Points accepted but not processed yet. */
  get lagPoints(): number {
    return this.#queuedPoints;
  }

  /** Offset of the last entry processed. */
  get processedOffset(): number {
    return this.#processed;
  }

  /** Entries in offset order; those at or below the newest accepted are skipped. Processing starts at once. */
  push(entries: readonly LogEntry[]): void {
    let last = this.#last;
    for (const e of entries) {
      if (e.offset <= last) continue;
      this.#queue.push(e);
      this.#queuedPoints += e.batch.seriesIds.length;
      this.accepted += e.batch.seriesIds.length;
      last = e.offset;
    }
    this.#last = last;
    void this.#run();
  }

  /** No entry is processed until `resume` (the one being processed, if any, completes). */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    void this.#run();
  }

  /** Resolves once every accepted entry is processed (waits out a pause). */
  async drain(): Promise<void> {
    while (this.#queue.length > 0 || this.#running) await this.#d.defer();
  }

  async #run(): Promise<void> {
    if (this.#running || this.#paused) return;
    this.#running = true;
    try {
      while (this.#queue.length > 0 && !this.#paused) {
        let done = 0;
        // Index, then one splice per slice: shift() on a long array (a Kafka fetch brings ~25k
        // entries) moves the whole array each time and took half the detector's CPU.
        const q = this.#queue;
        let k = 0;
        const sliceStart = this.#d.now();
        let nextClock = CLOCK_EVERY;
        // `#paused` is re-read per entry: a stream-time punctuation inside `process` may pause.
        while (k < q.length && done < PROCESS_SLICE && !this.#paused) {
          const e = q[k++]!;
          this.#d.process(e);
          this.#processed = e.offset;
          this.#queuedPoints -= e.batch.seriesIds.length;
          done += e.batch.seriesIds.length;
          if (done >= nextClock) {
            if (this.#d.now() - sliceStart > PROCESS_SLICE_MS) break;
            nextClock = done + CLOCK_EVERY;
          }
        }
        q.splice(0, k);
        if (this.#queue.length > 0) await this.#d.defer();
      }
    } finally {
      this.#running = false;
    }
  }
}
