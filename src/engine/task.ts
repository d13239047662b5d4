/**
 * The Processor API of the streaming runtime, shaped like Kafka Streams': a Task per log partition
 * with `init(ctx)`, `process`, `punctuate` and `close`, driven by a TaskHost (./task-host.ts) in
 * production and by the test driver in tests. Everything a task knows of time and of the world
 * outside its state comes through its TaskContext, so a task does no I/O of its own beyond its
 * ports and reads no clock: the host decides what "now" is.
 *
 * Lifecycle: `init` once, then `process` for each entry after the offset `init` returned, in offset
 * order, interleaved with `punctuate` when a schedule is due, then `close` once (after the host has
 * processed every entry it accepted). Exactly one host drives a partition's task at a time.
 */
import type { LogEntry } from '../ports/log.ts';

/**
 * `wall-clock`: every interval of the host's wall time, whether or not entries arrive.
 * `stream-time`: whenever the partition's event time (the newest point timestamp processed) has
 * moved by the interval since the last punctuation; never while no entries arrive.
 */
export type PunctuationType = 'wall-clock' | 'stream-time';

export interface Cancellable {
  cancel(): void;
}

export interface TaskContext {
  readonly partition: number;
  /** Newest point timestamp processed on this partition (epoch ms); -Infinity before the first. */
  eventTime(): number;
  /** The host's monotonic wall-clock milliseconds. */
  wallTime(): number;
  /**
   * Asks for `punctuate(type, time)` every `intervalMs` (one schedule per type: a second call
   * replaces the first). Wall-clock schedules of the same interval on one host take turns across
   * its tasks, so that N tasks punctuate one at a time every interval / N, not all at once.
   */
  schedule(type: PunctuationType, intervalMs: number): Cancellable;
  /**
   * Stops `process` calls until `resume` (e.g. while state is serialized in slices, so that every
   * state reflects one offset); entries keep being accepted meanwhile.
   */
  pause(): void;
  resume(): void;
  /** Resolves on a later turn, letting I/O and other tasks run between slices of work. */
  defer(): Promise<void>;
  /** Runs `fn` once the current turn's work is done (e.g. one write for a whole slice's output). */
  soon(fn: () => void): void;
  /**
   * The task's state and output up to `offset` are durable together: the host may drop the input up
   * to it (truncate the embedded log, commit the consumer group's offset). Resolves once the host
   * has acted on it; never rejects: a restart resumes after the last offset the task's store holds,
   * whether or not this report got through.
   */
  committed(offset: number): Promise<void>;
}

export interface Task {
  /** Restores state; resolves with the log offset it reflects (0: none). Entries after it follow. */
  init(ctx: TaskContext): Promise<number>;
  /** One log entry, synchronously; the hot path. */
  process(entry: LogEntry): void;
  /** A schedule asked for in `init` is due; `time` is the wall or event time that made it due. */
  punctuate(type: PunctuationType, time: number): Promise<void>;
  /** The last word: every accepted entry has been processed; commit what is left. */
  close(): Promise<void>;
}
