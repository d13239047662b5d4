/**
 * Runs the Tasks of the partitions a process owns: creates and initialises one per assigned
 * partition, queues the entries delivered for it (a WorkQueue each, processed in slices), keeps its
 * event time, fires its punctuations, passes its committed offsets on, and closes it (after
 * processing what it accepted) when the partition is revoked or the host closes. The embedded
 * engine thread hosts one partition; `vigil detector` hosts those its consumer group assigns.
 *
 * No I/O and no clock of its own: wall time, timers and turns come from the injected HostTime (the
 * test driver's is moved by hand).
 */
import type { LogEntry } from '../ports/log.ts';
import type { Cancellable, PunctuationType, Task, TaskContext } from './task.ts';
import { WorkQueue } from './work-queue.ts';

export interface HostTime {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` once, `ms` of wall time from now, unless cancelled. */
  timer(fn: () => void, ms: number): Cancellable;
  /** Resolves on a later turn (I/O runs in between). */
  defer(): Promise<void>;
  /** Runs `fn` once the current turn's work is done. */
  soon(fn: () => void): void;
}

export interface TaskHostDeps<T extends Task> {
  /** A task for a newly assigned partition (its `init` comes next). */
  newTask(partition: number): T | Promise<T>;
  time: HostTime;
  /** A task's output up to `offset` is durable: drop or acknowledge the input up to it. MUST NOT reject. */
  committed(partition: number, offset: number): Promise<void> | void;
  /** A punctuation failed (a checkpoint that will be retried at the next one, say). */
  punctuationFailed(partition: number, err: unknown): void;
}

interface Slot<T extends Task> {
  partition: number;
  task: T;
  queue: WorkQueue;
  eventTime: number;
  /** Stream-time schedule: its interval and the event time it is next due at. */
  streamEvery: number;
  streamNext: number;
  /** The wall-clock round this task takes part in, if any. */
  wallEvery: number;
}

/** Tasks with a wall-clock schedule of one interval: they take turns, one every interval / n. */
interface WallRound<T extends Task> {
  members: Slot<T>[];
  turn: number;
  timer: Cancellable | null;
}

export class TaskHost<T extends Task> {
  readonly #d: TaskHostDeps<T>;
  readonly #slots = new Map<number, Slot<T>>();
  readonly #rounds = new Map<number, WallRound<T>>();
  /** Points accepted by tasks since closed, so the total never goes backwards. */
  #retiredAccepted = 0;
  /** Punctuations running now. */
  readonly #punctuating = new Set<Promise<void>>();

  constructor(deps: TaskHostDeps<T>) {
    this.#d = deps;
  }

  /** Partitions hosted now, ascending. */
  get partitions(): number[] {
    return [...this.#slots.keys()].sort((a, b) => a - b);
  }

  /** The task of a hosted partition. */
  task(partition: number): T | undefined {
    return this.#slots.get(partition)?.task;
  }

  tasks(): T[] {
    return [...this.#slots.values()].map((s) => s.task);
  }

  /**
   * Creates and initialises the tasks of partitions not hosted yet. Resolves once each has restored
   * its state; `offsetOf` then says where its entries must resume.
   */
  async assign(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) {
      if (this.#slots.has(p)) continue;
      const task = await this.#d.newTask(p);
      const time = this.#d.time;
      const slot: Slot<T> = {
        partition: p,
        task,
        queue: new WorkQueue({
          process: (e) => this.#process(slot, e),
          now: () => time.now(),
          defer: () => time.defer(),
        }),
        eventTime: Number.NEGATIVE_INFINITY,
        streamEvery: 0,
        streamNext: Number.POSITIVE_INFINITY,
        wallEvery: 0,
      };
      slot.queue.startAfter(await task.init(this.#context(slot)));
      this.#slots.set(p, slot);
    }
  }

  /** Offset of the last entry a partition's task processed (0 when not hosted). */
  offsetOf(partition: number): number {
    return this.#slots.get(partition)?.queue.processedOffset ?? 0;
  }

  /**
   * Entries of a partition, in offset order, already durable in the log; those at or below the
   * newest it accepted are skipped (a redelivery). Ignored for a partition not hosted.
   */
  deliver(partition: number, entries: readonly LogEntry[]): void {
    this.#slots.get(partition)?.queue.push(entries);
  }

  /** Closes the tasks of these partitions after they processed what they accepted; returns them. */
  async revoke(partitions: readonly number[]): Promise<T[]> {
    const closed = await Promise.all(
      partitions.map(async (p) => {
        const slot = this.#slots.get(p);
        if (slot === undefined) return undefined;
        this.#slots.delete(p);
        this.#leaveRound(slot);
        slot.streamNext = Number.POSITIVE_INFINITY;
        await slot.queue.drain();
        this.#retiredAccepted += slot.queue.accepted;
        await slot.task.close();
        return slot.task;
      }),
    );
    return closed.filter((t) => t !== undefined);
  }

  /** Revokes every partition. */
  close(): Promise<T[]> {
    return this.revoke([...this.#slots.keys()]);
  }

  /** Resolves once every entry delivered so far (to the given partition, or all) is processed. */
  async drain(partition?: number): Promise<void> {
    const slots = partition === undefined ? [...this.#slots.values()] : [this.#slots.get(partition)];
    await Promise.all(slots.map((s) => s?.queue.drain()));
  }

  /** Resolves once every entry delivered so far is processed and no punctuation is running. */
  async settled(): Promise<void> {
    do {
      await this.drain();
      await Promise.all(this.#punctuating);
    } while (this.#punctuating.size > 0 || this.lagPoints() > 0);
  }

  /** Points delivered but not processed yet, of one partition or over every hosted one. */
  lagPoints(partition?: number): number {
    if (partition !== undefined) return this.#slots.get(partition)?.queue.lagPoints ?? 0;
    let n = 0;
    for (const s of this.#slots.values()) n += s.queue.lagPoints;
    return n;
  }

  /** Points delivered (and not skipped as redelivered) since start, over every partition ever hosted. */
  acceptedPoints(): number {
    let n = this.#retiredAccepted;
    for (const s of this.#slots.values()) n += s.queue.accepted;
    return n;
  }

  #process(slot: Slot<T>, e: LogEntry): void {
    slot.task.process(e);
    // Event time: the newest point timestamp so far (one comparison per point).
    const ts = e.batch.ts;
    let max = slot.eventTime;
    for (let i = 0; i < ts.length; i++) if (ts[i]! > max) max = ts[i]!;
    slot.eventTime = max;
    if (max >= slot.streamNext) {
      slot.streamNext = max + slot.streamEvery;
      this.#punctuate(slot, 'stream-time', max);
    }
  }

  #punctuate(slot: Slot<T>, type: PunctuationType, time: number): void {
    const running = slot.task
      .punctuate(type, time)
      .catch((err: unknown) => this.#d.punctuationFailed(slot.partition, err))
      .finally(() => this.#punctuating.delete(running));
    this.#punctuating.add(running);
  }

  #context(slot: Slot<T>): TaskContext {
    const time = this.#d.time;
    return {
      partition: slot.partition,
      eventTime: () => slot.eventTime,
      wallTime: () => time.now(),
      schedule: (type, intervalMs) => {
        if (!(intervalMs > 0))
          throw new RangeError(`a punctuation interval must be positive, not ${intervalMs}`);
        if (type === 'stream-time') {
          slot.streamEvery = intervalMs;
          // Due at the first entry, then every interval of event time after it.
          slot.streamNext =
            slot.eventTime === Number.NEGATIVE_INFINITY
              ? Number.NEGATIVE_INFINITY
              : slot.eventTime + intervalMs;
          return {
            cancel: () => {
              if (slot.streamEvery === intervalMs) slot.streamNext = Number.POSITIVE_INFINITY;
            },
          };
        }
        this.#joinRound(slot, intervalMs);
        return {
          cancel: () => {
            if (slot.wallEvery === intervalMs) this.#leaveRound(slot);
          },
        };
      },
      pause: () => slot.queue.pause(),
      resume: () => slot.queue.resume(),
      defer: () => time.defer(),
      soon: (fn) => time.soon(fn),
      committed: async (offset) => {
        await this.#d.committed(slot.partition, offset);
      },
    };
  }

  #joinRound(slot: Slot<T>, every: number): void {
    this.#leaveRound(slot);
    slot.wallEvery = every;
    let round = this.#rounds.get(every);
    if (round === undefined) {
      round = { members: [], turn: 0, timer: null };
      this.#rounds.set(every, round);
    }
    round.members.push(slot);
    round.members.sort((a, b) => a.partition - b.partition);
    if (round.timer === null) this.#tick(round, every);
  }

  #leaveRound(slot: Slot<T>): void {
    if (slot.wallEvery === 0) return;
    const round = this.#rounds.get(slot.wallEvery);
    slot.wallEvery = 0;
    if (round === undefined) return;
    round.members = round.members.filter((s) => s !== slot);
    if (round.members.length === 0) {
      round.timer?.cancel();
      round.timer = null;
    }
  }

  /** Arms the round's next turn: one member every `every / n`, in partition order. */
  #tick(round: WallRound<T>, every: number): void {
    round.timer = this.#d.time.timer(() => {
      round.timer = null;
      if (round.members.length === 0) return;
      const slot = round.members[round.turn++ % round.members.length]!;
      this.#punctuate(slot, 'wall-clock', this.#d.time.now());
      if (round.members.length > 0) this.#tick(round, every);
    }, every / round.members.length);
  }
}
