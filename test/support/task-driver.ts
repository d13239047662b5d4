/**
 * The test driver of the streaming runtime (STYLE.md item 7, after Kafka Streams'
 * TopologyTestDriver): the production TaskHost over a ManualTime, so a test moves wall time by hand
 * (`advanceWallTime` fires the punctuations that fall due, in time order) and event time by the
 * timestamps of the entries it pipes in. No thread, no database, no broker: the tasks' stores are
 * whatever the test hands them (the memory adapters, usually). Event-loop turns (`defer`, `soon`)
 * are real, so the work queue's slicing and the anomaly outbox's writes run as in production.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Cancellable, Task } from '../../src/engine/task.ts';
import { type HostTime, TaskHost } from '../../src/engine/task-host.ts';
import type { LogEntry } from '../../src/ports/log.ts';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Wall time that moves only when told; timers fire as it passes them. */
export class ManualTime implements HostTime {
  #now: number;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  timer(fn: () => void, ms: number): Cancellable {
    const t: Timer = { at: this.#now + ms, seq: this.#seq++, fn };
    this.#timers.push(t);
    return {
      cancel: () => {
        this.#timers = this.#timers.filter((x) => x !== t);
      },
    };
  }

  defer(): Promise<void> {
    return yieldTurn();
  }

  soon(fn: () => void): void {
    setImmediate(fn);
  }

  /** Timers armed and not fired yet. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /**
   * Moves wall time by `ms`, stopping at each timer due on the way (earliest first; a timer armed by
   * one that fires is due in turn if it falls within `ms`).
   */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Timer | undefined;
      for (const t of this.#timers)
        if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t;
      if (next === undefined) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }
}

export interface DriverOptions {
  /** Wall time at start (ms). */
  wallTime?: number;
  /** Replaces the turn between work slices (a `defer` that never resolves stalls the tasks). */
  defer?: () => Promise<void>;
}

export class TaskTestDriver<T extends Task> {
  readonly time: ManualTime;
  readonly host: TaskHost<T>;
  /** Every `committed(offset)` the tasks reported, in order. */
  readonly committed: { partition: number; offset: number }[] = [];
  /** Punctuations that failed. */
  readonly failures: { partition: number; err: unknown }[] = [];

  constructor(newTask: (partition: number) => T | Promise<T>, opts: DriverOptions = {}) {
    const time = new ManualTime(opts.wallTime ?? 0);
    if (opts.defer !== undefined) time.defer = opts.defer;
    this.time = time;
    this.host = new TaskHost({
      newTask,
      time,
      committed: (partition, offset) => {
        this.committed.push({ partition, offset });
      },
      punctuationFailed: (partition, err) => {
        this.failures.push({ partition, err });
      },
    });
  }

  /** Assigns partitions (their tasks init); returns the offset each resumes after. */
  async assign(...partitions: number[]): Promise<number[]> {
    await this.host.assign(partitions);
    return partitions.map((p) => this.host.offsetOf(p));
  }

  task(partition = 0): T {
    const t = this.host.task(partition);
    if (t === undefined) throw new Error(`partition ${partition} is not assigned`);
    return t;
  }

  /** Delivers entries to a partition and waits until they and what they set off are done. */
  async pipe(partition: number, entries: readonly LogEntry[]): Promise<void> {
    this.host.deliver(partition, entries);
    await this.settle();
  }

  /** Moves wall time by `ms`, firing the punctuations due on the way, and waits for them. */
  async advanceWallTime(ms: number): Promise<void> {
    this.time.advance(ms);
    await this.settle();
  }

  /** Waits until every delivered entry is processed, no punctuation runs and the turns' work is done. */
  async settle(): Promise<void> {
    for (let i = 0; i < 3; i++) {
      await this.host.settled();
      await yieldTurn();
      await yieldTurn();
    }
  }

  /** Revokes every partition (each task processes what it accepted, then closes). */
  async close(): Promise<T[]> {
    const closed = await this.host.close();
    await this.settle();
    return closed;
  }
}

/** One log entry of [seriesId, ts, value] points. */
export function entry(offset: number, points: readonly (readonly [number, number, number])[]): LogEntry {
  return {
    offset,
    batch: {
      seriesIds: Int32Array.from(points.map((p) => p[0])),
      ts: Float64Array.from(points.map((p) => p[1])),
      values: Float64Array.from(points.map((p) => p[2])),
    },
  };
}
