/**
 * The runtime around the Engine for one partition: accepts validated ingest batches, makes them
 * durable in the Log with group commit (one transaction for everything that arrived in the same
 * turn, one log entry per request so each request stays atomic), feeds committed entries to the
 * engine, and checkpoints engine output together with the log offset it reflects. With an
 * AnomalySink, anomaly changes skip the checkpoint: they are written as soon as a slice of points
 * makes them, and each checkpoint waits until the changes up to its offset are durable.
 *
 * No I/O of its own: the ports do it; timing comes from the injected `defer` and from whoever
 * calls `checkpoint()` (the composition root runs it on an interval).
 */
import type { Anomaly } from '../core/anomaly.ts';
import type { ScoredPoint } from '../core/point.ts';
import { PointColumns } from '../core/point-columns.ts';
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { Log, LogEntry, PointBatch } from '../ports/log.ts';
import type { AnomalySink, SeriesConfig } from '../ports/meta-store.ts';
import type { Engine, EngineOutput, RejectReason } from './engine.ts';
import { GroupCommit } from './group-commit.ts';

export interface RuntimeDeps {
  engine: Engine;
  log: Log;
  checkpoints: CheckpointStore;
  /** Resolves on a later event-loop turn; lets I/O and other requests run between work slices. */
  defer: () => Promise<void>;
  /** Runs `fn` once the current turn's work is done (group commit collects a turn's requests). */
  soon: (fn: () => void) => void;
  /** Monotonic milliseconds, for the checkpoint duration metric. */
  now: () => number;
  /** Where anomaly changes go at once; without it they are part of the checkpoints. */
  anomalies?: AnomalySink;
  /**
   * Scored points held since the last write that start a points flush (`flush`), where the
   * CheckpointStore can write points ahead of a checkpoint; 0 or absent: points wait for checkpoints.
   */
  flushAt?: number;
}

export interface RuntimeStats {
  pointsAccepted: number;
  pointsScored: number;
  pointsLate: number;
  anomaliesOpened: number;
  rejected: Record<RejectReason, number>;
  checkpoints: number;
  lastCheckpointMs: number;
}

export function emptyStats(): RuntimeStats {
  return {
    pointsAccepted: 0,
    pointsScored: 0,
    pointsLate: 0,
    anomaliesOpened: 0,
    rejected: { too_late: 0, duplicate: 0 },
    checkpoints: 0,
    lastCheckpointMs: 0,
  };
}

/** Points the engine processes per turn at most before yielding to I/O … */
const PROCESS_SLICE = 20_000;
/**
 * … or milliseconds, whichever comes first: a heavy detector (~6 µs per point) would otherwise hold
 * the thread for 100 ms+, and consumed records, anomaly writes and requests wait behind it.
 */
const PROCESS_SLICE_MS = 5;

/** Points between two reads of the clock within a slice. */
const CLOCK_EVERY = 256;

/** A checkpoint serializes engine state for at most about this long per turn. */
const SERIALIZE_SLICE_MS = 4;

/** A points flush takes a series' pending points once it has this many (shorter tails wait). */
const FLUSH_MIN_POINTS = 16;

export class PartitionRuntime {
  readonly #d: RuntimeDeps;
  readonly stats: RuntimeStats = emptyStats();
  readonly #commits: GroupCommit;
  /** Committed entries not yet processed by the engine. */
  #queue: { offset: number; batch: PointBatch }[] = [];
  #queuedPoints = 0;
  #processing = false;
  /** While a checkpoint serializes state, scoring waits (the states must match its offset). */
  #serializing = false;
  #processedOffset = 0;
  /** Output since the last checkpoint was taken. */
  #tails = new Map<number, PointColumns>();
  /**
   * Each series' tail length at the last checkpoint, by series id: the next tail starts at that
   * capacity instead of doubling up from 8 (seven typed arrays per growth, per series).
   */
  #tailSizes: number[] = [];
  /**
   * A written tail per busy series (by id), emptied, to be its next tail: without it every flush
   * left 10,000 tails (seven typed-array views each) to die after surviving a scavenge or two, and
   * the engine thread's scavenges copied ~10 MB each (30–40 ms).
   */
  #spare: (PointColumns | undefined)[] = [];
  /** Points held in #tails, and those of them the last flush left (tails too short to take). */
  #tailPoints = 0;
  #flushBase = 0;
  #flushing: Promise<void> | null = null;
  #flushScheduled = false;
  readonly #flushAt: number;
  #anomalies = new Map<string, Anomaly>();
  /** Output of the checkpoint being written (still visible to queries until it is durable). */
  #inflight = new Map<number, PointColumns>();
  /** Anomalies of the checkpoint being written (likewise still served from here). */
  #inflightAnomalies: Anomaly[] = [];
  #checkpointing: Promise<void> | null = null;
  /** Anomaly forms waiting for the sink (latest per run), and those being written. */
  #sinkPending = new Map<string, Anomaly>();
  #sinkInflight: Anomaly[] = [];
  #sinkWriting: Promise<void> | null = null;
  #sinkScheduled = false;
  #closed = false;
  readonly #out: EngineOutput;

  constructor(deps: RuntimeDeps) {
    this.#d = deps;
    this.#flushAt = deps.flushAt !== undefined && deps.flushAt > 0 ? deps.flushAt : Number.POSITIVE_INFINITY;
    this.#commits = new GroupCommit(deps.log, deps.soon, (entries) => {
      for (const e of entries) {
        this.#queue.push(e);
        this.#queuedPoints += e.batch.seriesIds.length;
        this.stats.pointsAccepted += e.batch.seriesIds.length;
      }
      void this.#process();
    });
    this.#out = {
      point: (sid, p, late) => {
        let tail = this.#tails.get(sid);
        if (tail === undefined) {
          tail = this.#spare[sid];
          if (tail === undefined) tail = new PointColumns(this.#tailSizes[sid] ?? 8);
          else this.#spare[sid] = undefined;
          this.#tails.set(sid, tail);
        }
        tail.push(p);
        this.stats.pointsScored++;
        if (late) this.stats.pointsLate++;
        if (
          ++this.#tailPoints - this.#flushBase >= this.#flushAt &&
          !this.#flushScheduled &&
          this.#flushing === null &&
          this.#checkpointing === null
        ) {
          this.#flushScheduled = true;
          this.#d.soon(() => {
            this.#flushScheduled = false;
            // A failed flush puts its points back; the next flush or checkpoint writes them.
            this.flush().catch(() => {});
          });
        }
      },
      anomaly: (a) => {
        if (a.points === 1 && a.open) this.stats.anomaliesOpened++;
        if (this.#d.anomalies === undefined) {
          this.#anomalies.set(runKey(a), a);
          return;
        }
        this.#sinkPending.set(runKey(a), a);
        if (this.#sinkScheduled) return;
        // After the slice that made it: one write carries every change of the slice.
        this.#sinkScheduled = true;
        this.#d.soon(() => {
          this.#sinkScheduled = false;
          // A failed write keeps its forms pending: the next change or checkpoint retries them,
          // and the checkpoint reports the error.
          this.#flushAnomalies().catch(() => {});
        });
      },
      rejected: (reason) => {
        this.stats.rejected[reason]++;
      },
    };
  }

  /**
   * Restores the last checkpoint and replays the log after it. Call once, before `submit` or
   * `enqueue`. With `replay: false` the caller delivers the entries after `processedOffset` itself
   * (a Kafka consumer positioned there) through `enqueue`.
   */
  async recover(opts: { replay?: boolean } = {}): Promise<{ offset: number; replayedEntries: number }> {
    const cp = await this.#d.checkpoints.load();
    this.#d.engine.restore(cp.states);
    this.#processedOffset = cp.offset;
    let replayed = 0;
    while (opts.replay !== false) {
      const entries = await this.#d.log.read(this.#processedOffset, 1000);
      if (entries.length === 0) break;
      for (const e of entries) {
        this.#d.engine.processBatch(e.batch, this.#out);
        this.#processedOffset = e.offset;
        replayed++;
      }
      await this.#d.defer();
    }
    return { offset: cp.offset, replayedEntries: replayed };
  }

  /**
   * Changes a series' detector config now (the series starts afresh; an open anomaly closes).
   * The change lands between two engine slices, never inside one.
   */
  setConfig(seriesId: number, config: SeriesConfig): void {
    this.#d.engine.setConfig(seriesId, config, this.#out);
  }

  configOf(seriesId: number): SeriesConfig {
    return this.#d.engine.configOf(seriesId);
  }

  /** Series the engine holds state for. */
  get seriesCount(): number {
    return this.#d.engine.seriesCount;
  }

  /** Points accepted (durable) but not yet scored. */
  get lagPoints(): number {
    return this.#queuedPoints;
  }

  get processedOffset(): number {
    return this.#processedOffset;
  }

  /** Resolves once the batch is durable in the log. Scoring happens after, asynchronously. */
  submit(batch: PointBatch): Promise<void> {
    return this.#commits.submit(batch);
  }

  /**
   * Entries already durable elsewhere (a consumed Kafka partition), in offset order. Entries at or
   * below the offset already processed are skipped, so a redelivery after a rebalance is harmless.
   */
  enqueue(entries: readonly LogEntry[]): void {
    let last = this.#queue.length > 0 ? this.#queue[this.#queue.length - 1]!.offset : this.#processedOffset;
    for (const e of entries) {
      if (e.offset <= last) continue;
      this.#queue.push(e);
      this.#queuedPoints += e.batch.seriesIds.length;
      this.stats.pointsAccepted += e.batch.seriesIds.length;
      last = e.offset;
    }
    void this.#process();
  }

  async #process(): Promise<void> {
    if (this.#processing || this.#serializing) return;
    this.#processing = true;
    try {
      while (this.#queue.length > 0 && !this.#serializing) {
        let done = 0;
        // Index, then one splice per slice: shift() on a long array (a Kafka fetch brings ~25k
        // entries) moves the whole array each time and took half the detector's CPU.
        const q = this.#queue;
        let k = 0;
        const sliceStart = this.#d.now();
        let nextClock = CLOCK_EVERY;
        while (k < q.length && done < PROCESS_SLICE) {
          const e = q[k++]!;
          this.#d.engine.processBatch(e.batch, this.#out);
          this.#processedOffset = e.offset;
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
      this.#processing = false;
    }
  }

  /** Resolves when every accepted point has been scored (for tests, replay and shutdown). */
  async drain(): Promise<void> {
    while (this.#commits.busy || this.#queue.length > 0 || this.#processing) {
      await this.#d.defer();
    }
  }

  /**
   * Commits everything scored so far with the offset it reflects, then truncates the log up to it.
   * Engine processing continues meanwhile: the states, points and offset were captured at once.
   */
  checkpoint(): Promise<void> {
    if (this.#checkpointing !== null) return this.#checkpointing;
    this.#checkpointing = (async () => {
      // One write at a time: a flush in flight holds #inflight.
      if (this.#flushing !== null) await this.#flushing.catch(() => {});
      await this.#doCheckpoint();
    })().finally(() => {
      this.#checkpointing = null;
    });
    return this.#checkpointing;
  }

  /**
   * Writes the pending points of every series with at least FLUSH_MIN_POINTS of them ahead of the
   * next checkpoint (where the CheckpointStore can), so a checkpoint interval's points do not reach
   * the disk in one burst; state and anomalies wait for the checkpoint. No-op while a checkpoint
   * is being written.
   */
  flush(): Promise<void> {
    const store = this.#d.checkpoints;
    if (store.flushPoints === undefined || this.#checkpointing !== null) return Promise.resolve();
    this.#flushing ??= this.#doFlush(store.flushPoints.bind(store)).finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #doFlush(write: (offset: number, points: Map<number, PointColumns>) => Promise<void>): Promise<void> {
    // Every pending point comes from an entry at or below this offset.
    const offset = this.#processedOffset;
    const points = new Map<number, PointColumns>();
    let moved = 0;
    for (const [sid, cols] of this.#tails) {
      if (cols.length < FLUSH_MIN_POINTS) continue;
      points.set(sid, cols);
      moved += cols.length;
      this.#tailSizes[sid] = Math.max(8, Math.ceil(cols.length * 1.25));
      this.#tails.delete(sid);
    }
    this.#tailPoints -= moved;
    this.#flushBase = this.#tailPoints;
    if (points.size === 0) return;
    this.#inflight = points;
    try {
      await write(offset, points);
    } catch (err) {
      this.#putBack(points);
      throw err;
    } finally {
      this.#inflight = new Map();
    }
    this.#recycle(points);
  }

  /** Keeps the tails a write is done with as the next tails of their series (busy ones only). */
  #recycle(points: Map<number, PointColumns>): void {
    for (const [sid, cols] of points) {
      if (cols.length < FLUSH_MIN_POINTS) continue; // a quiet series: let it go
      cols.length = 0;
      this.#spare[sid] = cols;
    }
  }

  /** Puts the points of a failed write back ahead of those scored since. */
  #putBack(points: Map<number, PointColumns>): void {
    for (const [sid, ps] of this.#tails) {
      const older = points.get(sid);
      if (older === undefined) points.set(sid, ps);
      else older.append(ps);
    }
    this.#tails = points;
    this.#tailPoints = 0;
    for (const c of points.values()) this.#tailPoints += c.length;
    this.#flushBase = 0;
  }

  async #doCheckpoint(): Promise<void> {
    const offset = this.#processedOffset;
    const points = this.#tails;
    for (const [sid, cols] of points) this.#tailSizes[sid] = Math.max(8, Math.ceil(cols.length * 1.25));
    const anomalies = [...this.#anomalies.values()];
    this.#tails = new Map();
    this.#tailPoints = 0;
    this.#flushBase = 0;
    this.#anomalies = new Map();
    this.#inflight = points;
    this.#inflightAnomalies = anomalies;
    // Scoring pauses while state is serialized in slices (ingest goes on), so that every state
    // reflects `offset`; a #process turn already running finishes first, being synchronous.
    const states = new Map<number, string>();
    this.#serializing = true;
    try {
      const steps = this.#d.engine.serializeDirty(states);
      let sliceStart = this.#d.now();
      while (steps.next().done !== true) {
        if (this.#d.now() - sliceStart > SERIALIZE_SLICE_MS) {
          await this.#d.defer();
          sliceStart = this.#d.now();
        }
      }
    } finally {
      this.#serializing = false;
      void this.#process();
    }
    if (states.size === 0 && points.size === 0 && anomalies.length === 0) {
      this.#inflight = new Map();
      this.#inflightAnomalies = [];
      return;
    }
    const started = this.#d.now();
    try {
      // The offset must not move past anomaly changes that are not stored yet.
      if (this.#d.anomalies !== undefined) await this.#flushAnomalies();
      await this.#d.checkpoints.commit({ offset, points, anomalies, states });
    } catch (err) {
      // Nothing was committed: put the output back (ahead of newer output) so the next try has it.
      this.#putBack(points);
      for (const a of anomalies) {
        const k = runKey(a);
        if (!this.#anomalies.has(k)) this.#anomalies.set(k, a);
      }
      this.#d.engine.markDirty(states.keys());
      throw err;
    } finally {
      this.#inflight = new Map();
      this.#inflightAnomalies = [];
    }
    this.#recycle(points);
    await this.#d.log.truncate(offset);
    this.stats.checkpoints++;
    this.stats.lastCheckpointMs = this.#d.now() - started;
  }

  /**
   * Writes every anomaly change pending now (after the write in flight, so a run's forms reach the
   * sink in the order they were made); resolves once they are durable. A failed write puts its
   * forms back under any newer ones and rejects.
   */
  async #flushAnomalies(): Promise<void> {
    const sink = this.#d.anomalies;
    if (sink === undefined) return;
    while (this.#sinkWriting !== null) await this.#sinkWriting.catch(() => {});
    if (this.#sinkPending.size === 0) return;
    const list = [...this.#sinkPending.values()];
    this.#sinkPending = new Map();
    this.#sinkInflight = list;
    const writing = sink.write(list);
    this.#sinkWriting = writing;
    try {
      await writing;
    } catch (err) {
      const back = new Map(list.map((a) => [runKey(a), a]));
      for (const [k, a] of this.#sinkPending) back.set(k, a);
      this.#sinkPending = back;
      throw err;
    } finally {
      this.#sinkWriting = null;
      this.#sinkInflight = [];
    }
  }

  /** Scored points with from ≤ ts < to not yet in the PointStore, for queries to merge with stored ones. */
  unflushed(seriesId: number, from: number, to: number): ScoredPoint[] {
    const out: ScoredPoint[] = [];
    this.#inflight.get(seriesId)?.collect(from, to, out);
    this.#tails.get(seriesId)?.collect(from, to, out);
    return out;
  }

  /** Anomalies changed since the last checkpoint (newer than what the store holds). */
  unflushedAnomalies(): Anomaly[] {
    // Newer forms (since the checkpoint began) come last, so a caller keying by (series, start) keeps them.
    return this.#inflightAnomalies.concat([...this.#anomalies.values()], this.#sinkInflight, [
      ...this.#sinkPending.values(),
    ]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.drain();
    if (this.#checkpointing !== null) await this.#checkpointing;
    await this.checkpoint();
  }
}

const runKey = (a: Anomaly): string => `${a.seriesId}:${a.start}`;
