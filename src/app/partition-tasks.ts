/**
 * The engine tasks of one consumer-group member: one Engine + PartitionRuntime per assigned
 * partition, created on assignment (restored from that partition's checkpoint), fed by the
 * consumer, checkpointed on a timer and on revocation. Used by `vigil detector`.
 */
import { decodeBatch } from '../adapters/sqlite/codec.ts';
import type { Engine } from '../engine/engine.ts';
import { emptyStats, PartitionRuntime, type RuntimeStats } from '../engine/runtime.ts';
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { Log, LogEntry } from '../ports/log.ts';
import type { AnomalySink, SeriesConfig } from '../ports/meta-store.ts';
import type { GroupHandlers, GroupMembership, InRecord } from '../ports/partitioned-log.ts';

export interface PartitionTasksDeps {
  newEngine(): Promise<Engine>;
  checkpointsFor(partition: number): CheckpointStore;
  /** Where a partition's anomaly changes go at once (see RuntimeDeps.anomalies); else checkpoints. */
  anomalySinkFor?(partition: number): AnomalySink;
  /** Runs between work slices (event-loop yield). */
  defer(): Promise<void>;
  soon(fn: () => void): void;
  now(): number;
  /** Pause the partition's consumer while this many points wait to be scored (backpressure). */
  maxLagPoints: number;
}

interface Task {
  runtime: PartitionRuntime;
}

export class PartitionTasks implements GroupHandlers {
  /** Whose turn `checkpointNext` takes. */
  #turn = 0;
  readonly #d: PartitionTasksDeps;
  readonly #tasks = new Map<number, Task>();
  /** Totals of partitions given away, so counters never go backwards. */
  readonly #retired = emptyStats();
  #membership: GroupMembership | undefined;

  constructor(deps: PartitionTasksDeps) {
    this.#d = deps;
  }

  /** Where committed checkpoints report progress (set once the group is joined). */
  attach(membership: GroupMembership): void {
    this.#membership = membership;
  }

  get partitions(): number[] {
    return [...this.#tasks.keys()].sort((a, b) => a - b);
  }

  async assigned(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) {
      if (this.#tasks.has(p)) continue;
      const runtime = new PartitionRuntime({
        engine: await this.#d.newEngine(),
        log: this.#progressLog(p),
        checkpoints: this.#d.checkpointsFor(p),
        ...(this.#d.anomalySinkFor !== undefined ? { anomalies: this.#d.anomalySinkFor(p) } : {}),
        defer: this.#d.defer,
        soon: this.#d.soon,
        now: this.#d.now,
      });
      // The consumer delivers what follows the checkpoint (startOffset), so no log replay here.
      await runtime.recover({ replay: false });
      this.#tasks.set(p, { runtime });
    }
  }

  async startOffset(partition: number): Promise<number> {
    const t = this.#tasks.get(partition);
    // Log offsets are Kafka offsets + 1 (0 = nothing processed), so the next Kafka offset to read
    // equals the last processed log offset.
    return t === undefined ? 0 : t.runtime.processedOffset;
  }

  async records(partition: number, records: readonly InRecord[]): Promise<void> {
    const t = this.#tasks.get(partition);
    if (t === undefined) return;
    const entries: LogEntry[] = records.map((r) => ({ offset: r.offset + 1, batch: decodeBatch(r.value) }));
    t.runtime.enqueue(entries);
    while (t.runtime.lagPoints > this.#d.maxLagPoints) await this.#d.defer();
  }

  async revoked(partitions: readonly number[]): Promise<void> {
    await Promise.all(
      partitions.map(async (p) => {
        const t = this.#tasks.get(p);
        if (t === undefined) return;
        this.#tasks.delete(p);
        await t.runtime.close();
        addStats(this.#retired, t.runtime.stats);
      }),
    );
  }

  /**
   * Applies per-series configs stored since the tasks started (the API writes them to the
   * ConfigStore): each series whose config differs from its engine's gets the new one.
   * Returns how many changed. A config the engine refuses (e.g. a resampling too fine for this
   * detector's lateness) leaves that series as it was and goes to `refused`; the others apply.
   */
  applyConfigs(
    configs: ReadonlyMap<number, SeriesConfig>,
    refused?: (seriesId: number, err: unknown) => void,
  ): number {
    let changed = 0;
    for (const t of this.#tasks.values()) {
      for (const [sid, c] of configs) {
        if (JSON.stringify(t.runtime.configOf(sid)) === JSON.stringify(c)) continue;
        try {
          t.runtime.setConfig(sid, c);
          changed++;
        } catch (err) {
          refused?.(sid, err);
        }
      }
    }
    return changed;
  }

  /** Checkpoints every partition at once (a flush, or the last word before closing). */
  async checkpointAll(): Promise<void> {
    await Promise.all([...this.#tasks.values()].map((t) => t.runtime.checkpoint()));
  }

  /**
   * Checkpoints the next partition in turn (by partition number). The composition root calls it
   * every interval / partitionCount(), so each partition still checkpoints once per interval but
   * no two at the same moment.
   */
  checkpointNext(): Promise<void> {
    const partitions = [...this.#tasks.keys()].sort((a, b) => a - b);
    if (partitions.length === 0) return Promise.resolve();
    const p = partitions[this.#turn++ % partitions.length]!;
    return this.#tasks.get(p)!.runtime.checkpoint();
  }

  /** Partitions this member owns now. */
  partitionCount(): number {
    return this.#tasks.size;
  }

  async drain(): Promise<void> {
    await Promise.all([...this.#tasks.values()].map((t) => t.runtime.drain()));
  }

  stats(): RuntimeStats {
    const sum = emptyStats();
    addStats(sum, this.#retired);
    for (const t of this.#tasks.values()) addStats(sum, t.runtime.stats);
    return sum;
  }

  /** Series with state in this member's partitions. */
  seriesCount(): number {
    let n = 0;
    for (const t of this.#tasks.values()) n += t.runtime.seriesCount;
    return n;
  }

  lagPoints(): number {
    let n = 0;
    for (const t of this.#tasks.values()) n += t.runtime.lagPoints;
    return n;
  }

  /**
   * The runtime's Log for a consumed partition: entries arrive through `enqueue`, and "truncate"
   * after a checkpoint reports the position to the group.
   */
  #progressLog(partition: number): Log {
    const notHere = () => Promise.reject(new Error('a consumed partition is appended to by its producers'));
    return {
      append: notHere,
      read: async () => [],
      endOffset: async () => this.#tasks.get(partition)?.runtime.processedOffset ?? 0,
      truncate: async (upTo) => {
        // Progress report only: the checkpoint just committed is what a new owner starts from, so
        // a commit refused mid-rebalance loses nothing.
        await this.#membership?.commit(partition, upTo).catch(() => {});
      },
    };
  }
}

function addStats(into: RuntimeStats, s: RuntimeStats): void {
  into.pointsAccepted += s.pointsAccepted;
  into.pointsScored += s.pointsScored;
  into.pointsLate += s.pointsLate;
  into.anomaliesOpened += s.anomaliesOpened;
  into.rejected.too_late += s.rejected.too_late;
  into.rejected.duplicate += s.rejected.duplicate;
  into.checkpoints += s.checkpoints;
  into.lastCheckpointMs = Math.max(into.lastCheckpointMs, s.lastCheckpointMs);
}
