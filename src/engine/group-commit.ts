/**
 * Group commit onto a Log: every batch submitted in the same event-loop turn goes into one append
 * (one transaction, one fsync), each batch its own entry so each request stays atomic; batches
 * submitted while an append runs form the next group. A submit resolves once its entry is durable,
 * right after `committed` has been told about the whole group (in offset order).
 *
 * No I/O of its own: the Log port does it, and `soon` says when a turn's work is done.
 */
import type { Log, LogEntry, PointBatch } from '../ports/log.ts';

interface Pending {
  batch: PointBatch;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  readonly #log: Log;
  readonly #soon: (fn: () => void) => void;
  readonly #committed: (entries: LogEntry[]) => void;
  #pending: Pending[] = [];
  #scheduled = false;
  #committing = false;
  /** Points made durable since start. */
  pointsCommitted = 0;

  constructor(log: Log, soon: (fn: () => void) => void, committed: (entries: LogEntry[]) => void) {
    this.#log = log;
    this.#soon = soon;
    this.#committed = committed;
  }

  submit(batch: PointBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ batch, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        this.#soon(() => this.#commit());
      }
    });
  }

  /** Whether a submitted batch is not durable yet. */
  get busy(): boolean {
    return this.#pending.length > 0 || this.#scheduled || this.#committing;
  }

  #commit(): void {
    this.#scheduled = false;
    if (this.#committing || this.#pending.length === 0) return;
    const group = this.#pending;
    this.#pending = [];
    this.#committing = true;
    this.#log
      .append(group.map((p) => p.batch))
      .then(
        (offsets) => {
          const entries: LogEntry[] = new Array(group.length);
          for (let i = 0; i < group.length; i++) {
            entries[i] = { offset: offsets[i]!, batch: group[i]!.batch };
            this.pointsCommitted += group[i]!.batch.seriesIds.length;
          }
          this.#committed(entries);
          for (const p of group) p.resolve();
        },
        (err) => {
          for (const p of group) p.reject(err);
        },
      )
      .finally(() => {
        this.#committing = false;
        if (this.#pending.length > 0) this.#commit();
      });
  }
}
