/**
 * Commits one partition task's output to its CheckpointStore: a checkpoint holds the scored points,
 * the anomaly changes (where they have no sink of their own) and the serialized state of every
 * series changed since the last one, together with the log offset they reflect, in one atomic
 * commit; only then is the offset reported `committed`. Between checkpoints, a points flush may
 * write long tails ahead (where the store can), so a checkpoint interval's points do not reach the
 * disk in one burst. One write at a time: a checkpoint waits for a flush in flight, and no flush
 * starts while a checkpoint runs. A failed write loses nothing: its output is put back for the next.
 * A checkpoint with no output but a newer offset commits the offset alone (entries of other engine
 * shards' series: see src/engine/shard.ts), so the log they sit in can be truncated.
 */
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { AnomalyOutbox } from './anomaly-outbox.ts';
import type { Engine } from './engine.ts';
import type { PointBuffer } from './point-buffer.ts';
import type { RuntimeStats } from './runtime-stats.ts';
import type { TaskContext } from './task.ts';

export interface CheckpointerDeps {
  engine: Engine;
  store: CheckpointStore;
  points: PointBuffer;
  anomalies: AnomalyOutbox;
  stats: RuntimeStats;
  ctx: TaskContext;
  /** The offset of the last entry processed: everything buffered comes from entries up to it. */
  offset(): number;
}

/** A checkpoint serializes engine state for at most about this long per turn. */
const SERIALIZE_SLICE_MS = 4;

/**
 * The share of the engine's time the wall-clock checkpoints may spend serializing states: a
 * scheduled checkpoint is skipped until 1/SERIALIZE_SHARE times the last one's serialization has
 * gone by since it began (10,000 series of the default detector hold ~1 GB of state, ~1 s to
 * serialize: then one checkpoint per ~10 s, not per 5 s). Never more than MAX_SPACING_MS apart.
 */
const SERIALIZE_SHARE = 0.1;
export const MAX_SPACING_MS = 60_000;

/** A points flush takes a series' pending points once it has this many (shorter tails wait). */
export const FLUSH_MIN_POINTS = 16;

export class Checkpointer {
  readonly #d: CheckpointerDeps;
  #checkpointing: Promise<void> | null = null;
  #flushing: Promise<void> | null = null;
  /** The offset of the last commit of this process (-1: none yet). */
  #committedOffset = -1;
  /** When the last checkpoint began (wall ms), and how long it serialized states (summed over its slices). */
  #lastStart = Number.NEGATIVE_INFINITY;
  #serializeMs = 0;

  constructor(deps: CheckpointerDeps) {
    this.#d = deps;
  }

  /**
   * Whether a scheduled checkpoint is due: SERIALIZE_SHARE of the time since the last one began
   * covers its serialization (or MAX_SPACING_MS went by). A checkpoint asked for directly (drain,
   * shutdown) does not ask.
   */
  due(): boolean {
    const since = this.#d.ctx.wallTime() - this.#lastStart;
    return since >= Math.min(MAX_SPACING_MS, this.#serializeMs / SERIALIZE_SHARE);
  }

  /** Whether a checkpoint or a flush is being written. */
  get busy(): boolean {
    return this.#checkpointing !== null || this.#flushing !== null;
  }

  /** Resolves once no checkpoint or flush is being written (their failures are theirs to report). */
  async idle(): Promise<void> {
    while (this.#checkpointing !== null || this.#flushing !== null) {
      await (this.#checkpointing ?? this.#flushing)!.catch(() => {});
    }
  }

  /** Resolves (or rejects) when the checkpoint in flight, if any, is over. */
  async settled(): Promise<void> {
    if (this.#checkpointing !== null) await this.#checkpointing;
  }

  /**
   * Commits everything processed so far with the offset it reflects; joins the one in flight, if
   * any. Processing continues meanwhile, except while states are serialized (they must match the
   * offset): the states, points and offset are captured at once.
   */
  checkpoint(): Promise<void> {
    if (this.#checkpointing !== null) return this.#checkpointing;
    this.#checkpointing = (async () => {
      if (this.#flushing !== null) await this.#flushing.catch(() => {});
      await this.#checkpoint();
    })().finally(() => {
      this.#checkpointing = null;
    });
    return this.#checkpointing;
  }

  /**
   * Writes the pending points of every series with at least FLUSH_MIN_POINTS of them ahead of the
   * next checkpoint (where the store can); state and anomalies wait for the checkpoint. No-op
   * while a checkpoint is being written; joins a flush in flight.
   */
  flush(): Promise<void> {
    const store = this.#d.store;
    if (store.flushPoints === undefined || this.#checkpointing !== null) return Promise.resolve();
    this.#flushing ??= this.#flush(store.flushPoints.bind(store)).finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #flush(write: NonNullable<CheckpointStore['flushPoints']>): Promise<void> {
    const offset = this.#d.offset();
    const points = this.#d.points.takeAtLeast(FLUSH_MIN_POINTS);
    if (points.size === 0) return;
    let ok = false;
    try {
      await write(offset, points);
      ok = true;
    } finally {
      this.#d.points.settle(points, ok, FLUSH_MIN_POINTS);
    }
  }

  async #checkpoint(): Promise<void> {
    const { engine, ctx } = this.#d;
    const offset = this.#d.offset();
    const points = this.#d.points.takeAll();
    const anomalies = this.#d.anomalies.takeForCheckpoint();
    // Processing pauses while state is serialized in slices (entries keep arriving), so that every
    // state reflects `offset`; an entry being processed completes first, being synchronous.
    const states = new Map<number, string>();
    this.#lastStart = ctx.wallTime();
    let serializing = 0;
    ctx.pause();
    try {
      const steps = engine.serializeDirty(states);
      let sliceStart = ctx.wallTime();
      while (steps.next().done !== true) {
        if (ctx.wallTime() - sliceStart > SERIALIZE_SLICE_MS) {
          serializing += ctx.wallTime() - sliceStart;
          await ctx.defer();
          sliceStart = ctx.wallTime();
        }
      }
      serializing += ctx.wallTime() - sliceStart;
    } finally {
      ctx.resume();
    }
    this.#serializeMs = serializing;
    if (states.size === 0 && points.size === 0 && anomalies.length === 0) {
      this.#d.points.settle(points, true, FLUSH_MIN_POINTS);
      this.#d.anomalies.settle(anomalies, true);
      // Entries that changed nothing (another engine shard's series, say) still move the offset:
      // committed, the log before it can go. Replaying them would change nothing either.
      if (offset > this.#committedOffset) {
        await this.#d.store.commit({ offset, points, anomalies, states });
        this.#committedOffset = offset;
        await ctx.committed(offset);
      }
      return;
    }
    const started = ctx.wallTime();
    let ok = false;
    try {
      // The offset must not move past anomaly changes that are not stored yet.
      await this.#d.anomalies.flush();
      await this.#d.store.commit({ offset, points, anomalies, states });
      ok = true;
    } finally {
      // On failure nothing was committed: the output goes back (ahead of newer output) for the next try.
      this.#d.points.settle(points, ok, FLUSH_MIN_POINTS);
      this.#d.anomalies.settle(anomalies, ok);
      if (!ok) engine.markDirty(states.keys());
    }
    this.#committedOffset = offset;
    await ctx.committed(offset);
    this.#d.stats.checkpoints++;
    this.#d.stats.lastCheckpointMs = ctx.wallTime() - started;
  }
}
