/**
 * Where one partition task's anomaly changes wait until they are durable. With an AnomalySink
 * they leave at once: one write after each slice that made changes, the latest form of each run,
 * in the order they were made, a failed write retried with its forms kept under newer ones.
 * Without one they are held for the next checkpoint, which commits them with the state and offset.
 * Either way every change not yet durable stays visible to queries (`unflushed`).
 */
import type { Anomaly } from '../core/anomaly.ts';
import type { AnomalySink } from '../ports/meta-store.ts';

export class AnomalyOutbox {
  readonly #sink: AnomalySink | undefined;
  readonly #soon: (fn: () => void) => void;
  /** Without a sink: changes since the last checkpoint was taken, and those of the one being written. */
  #held = new Map<string, Anomaly>();
  #checkpointing: Anomaly[] = [];
  /** With a sink: forms waiting for it (latest per run), and those being written. */
  #pending = new Map<string, Anomaly>();
  #writing: Anomaly[] = [];
  #write: Promise<void> | null = null;
  #scheduled = false;

  /** `soon` runs the write once the slice that made a change is done. */
  constructor(sink: AnomalySink | undefined, soon: (fn: () => void) => void) {
    this.#sink = sink;
    this.#soon = soon;
  }

  /** The current form of a run (emitted by the engine on open, extension and close). */
  add(a: Anomaly): void {
    if (this.#sink === undefined) {
      this.#held.set(runKey(a), a);
      return;
    }
    this.#pending.set(runKey(a), a);
    if (this.#scheduled) return;
    // After the slice that made it: one write carries every change of the slice.
    this.#scheduled = true;
    this.#soon(() => {
      this.#scheduled = false;
      // A failed write keeps its forms pending: the next change or checkpoint retries them, and
      // the checkpoint reports the error.
      this.flush().catch(() => {});
    });
  }

  /** Takes the changes a checkpoint commits (none with a sink); they stay visible until `settle`. */
  takeForCheckpoint(): Anomaly[] {
    const list = [...this.#held.values()];
    this.#held = new Map();
    this.#checkpointing = list;
    return list;
  }

  /** The checkpoint that took `list` is over: durable (`ok`), or failed and they are held again. */
  settle(list: readonly Anomaly[], ok: boolean): void {
    this.#checkpointing = [];
    if (ok) return;
    for (const a of list) {
      const k = runKey(a);
      if (!this.#held.has(k)) this.#held.set(k, a);
    }
  }

  /**
   * Writes every change pending now to the sink (after the write in flight, so a run's forms reach
   * the sink in the order they were made); resolves once they are durable. A failed write puts its
   * forms back under any newer ones and rejects. No-op without a sink.
   */
  async flush(): Promise<void> {
    const sink = this.#sink;
    if (sink === undefined) return;
    while (this.#write !== null) await this.#write.catch(() => {});
    if (this.#pending.size === 0) return;
    const list = [...this.#pending.values()];
    this.#pending = new Map();
    this.#writing = list;
    const writing = sink.write(list);
    this.#write = writing;
    try {
      await writing;
    } catch (err) {
      const back = new Map(list.map((a) => [runKey(a), a]));
      for (const [k, a] of this.#pending) back.set(k, a);
      this.#pending = back;
      throw err;
    } finally {
      this.#write = null;
      this.#writing = [];
    }
  }

  /** Drops the waiting changes of deleted series (the writes in flight go ahead). */
  drop(ids: ReadonlySet<number>): void {
    for (const m of [this.#held, this.#pending]) {
      for (const [k, a] of m) if (ids.has(a.seriesId)) m.delete(k);
    }
  }

  /** Changes not yet durable, older forms first (a caller keying by series and start keeps the newest). */
  unflushed(): Anomaly[] {
    return this.#checkpointing.concat([...this.#held.values()], this.#writing, [...this.#pending.values()]);
  }
}

const runKey = (a: Anomaly): string => `${a.seriesId}:${a.start}`;
