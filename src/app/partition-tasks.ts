/**
 * The detection tasks of one consumer-group member (`vigil detector`): a TaskHost with one
 * DetectionTask per assigned partition, created on assignment (restored from that partition's
 * checkpoint), fed the consumed records, checkpointed on the host's wall-clock punctuation (the
 * partitions take turns) and on revocation. A committed checkpoint reports its offset to the group.
 */
import type { MaintenanceWindow } from '../core/alerting/maintenance.ts';
import type { ModelAssignment } from '../core/models/serving.ts';
import type { ScoredPoint } from '../core/point.ts';
import { decodeBatch } from '../core/point-batch-codec.ts';
import { DetectionTask } from '../engine/detection-task.ts';
import type { Engine, ModelRunStats } from '../engine/engine.ts';
import { addStats, emptyStats, type RuntimeStats } from '../engine/runtime-stats.ts';
import { type HostTime, TaskHost } from '../engine/task-host.ts';
import type { CheckpointStore } from '../ports/checkpoint-store.ts';
import type { LogEntry } from '../ports/log.ts';
import type { AnomalySink, SeriesConfig } from '../ports/meta-store.ts';
import type { GroupHandlers, GroupMembership, InRecord } from '../ports/partitioned-log.ts';
import { addWarmStart, type WarmStartResult, warmStart, withUnflushed } from './warm-start.ts';

/** The longest records wait for a warm start in progress (PartitionTasks.records). */
const WARM_START_HOLD_MS = 10_000;

export interface PartitionTasksDeps {
  newEngine(): Promise<Engine>;
  checkpointsFor(partition: number): CheckpointStore;
  /** Where a partition's anomaly changes go at once (see DetectionTaskDeps.anomalies); else checkpoints. */
  anomalySinkFor?(partition: number): AnomalySink;
  time: HostTime;
  /**
   * Wall-clock milliseconds between two checkpoints of a partition; the partitions take turns, one
   * every interval / partitions. Absent: checkpoints on demand and on revocation only.
   */
  checkpointIntervalMs?: number;
  /** A scheduled checkpoint failed; the partition's next turn retries it. */
  checkpointFailed?(partition: number, err: unknown): void;
  /** Pause the partition's consumer while this many points wait to be scored (backpressure). */
  maxLagPoints: number;
  /**
   * Series of partitions just assigned whose checkpointed state belonged to another pipeline
   * (Engine.takeRestoredAfresh): the caller warm starts them (`warmStart`).
   */
  restoredAfresh?(seriesIds: number[]): void;
}

export class PartitionTasks implements GroupHandlers {
  readonly #d: PartitionTasksDeps;
  readonly #host: TaskHost<DetectionTask>;
  /** Totals of partitions given away, so counters never go backwards. */
  readonly #retired = emptyStats();
  #membership: GroupMembership | undefined;
  /** The maintenance windows as last set: a partition assigned later takes them too. */
  #maintenance: ReadonlyMap<number, readonly MaintenanceWindow[]> = new Map();
  /** The served models as last set (undefined: not read yet; a restored task keeps its checkpoint's). */
  #models: ReadonlyMap<number, ModelAssignment> | undefined;
  #keep: readonly string[] = [];
  /** The warm start running, if one is: records wait for it (see `records`). */
  #warming: Promise<unknown> | null = null;

  constructor(deps: PartitionTasksDeps) {
    this.#d = deps;
    this.#host = new TaskHost({
      newTask: async (p) =>
        new DetectionTask({
          engine: await deps.newEngine(),
          checkpoints: deps.checkpointsFor(p),
          ...(deps.anomalySinkFor !== undefined ? { anomalies: deps.anomalySinkFor(p) } : {}),
          ...(deps.checkpointIntervalMs !== undefined
            ? { checkpointIntervalMs: deps.checkpointIntervalMs }
            : {}),
        }),
      time: deps.time,
      // Progress report only: the checkpoint just committed is what a new owner starts from, so a
      // commit refused mid-rebalance loses nothing.
      committed: (p, offset) => this.#membership?.commit(p, offset).catch(() => {}),
      punctuationFailed: (p, err) => deps.checkpointFailed?.(p, err),
    });
  }

  /** Where committed checkpoints report progress (set once the group is joined). */
  attach(membership: GroupMembership): void {
    this.#membership = membership;
  }

  get partitions(): number[] {
    return this.#host.partitions;
  }

  /** The task of an owned partition (tests, diagnostics). */
  task(partition: number): DetectionTask | undefined {
    return this.#host.task(partition);
  }

  // The consumer delivers what follows each checkpoint (startOffset), so no log replay here.
  async assigned(partitions: readonly number[]): Promise<void> {
    await this.#host.assign(partitions);
    // After the tasks restored their state: windows set meanwhile reach them too.
    for (const t of this.#host.tasks()) t.setMaintenance(this.#maintenance);
    const models = this.#models;
    if (models !== undefined) for (const p of partitions) this.#host.task(p)?.setModels(models, this.#keep);
    const afresh = partitions.flatMap((p) => this.#host.task(p)?.takeRestoredAfresh() ?? []);
    if (afresh.length > 0) this.#d.restoredAfresh?.(afresh);
  }

  /**
   * Sets the served model of every series (Engine.setModels) in every owned partition; a partition
   * assigned later takes them after its restore. Returns the series that switched version.
   */
  setModels(assignments: ReadonlyMap<number, ModelAssignment>, keep: readonly string[] = []): number[] {
    this.#models = assignments;
    this.#keep = keep;
    const switched: number[] = [];
    for (const t of this.#host.tasks()) switched.push(...t.setModels(assignments, keep));
    return switched;
  }

  /** The maintenance windows of every covered series, as last set. */
  get maintenance(): ReadonlyMap<number, readonly MaintenanceWindow[]> {
    return this.#maintenance;
  }

  /** Per model version, summed over the owned partitions (DetectionTask.modelStats). */
  modelStats(): Map<string, ModelRunStats> {
    return sumModelStats(this.#host.tasks().map((t) => t.modelStats()));
  }

  /** Sets the maintenance windows of every series (Engine.setMaintenance) in every owned partition. */
  setMaintenance(windows: ReadonlyMap<number, readonly MaintenanceWindow[]>): void {
    this.#maintenance = windows;
    for (const t of this.#host.tasks()) t.setMaintenance(windows);
  }

  async startOffset(partition: number): Promise<number> {
    // Log offsets are Kafka offsets + 1 (0 = nothing processed), so the next Kafka offset to read
    // equals the last processed log offset.
    return this.#host.offsetOf(partition);
  }

  async records(partition: number, records: readonly InRecord[]): Promise<void> {
    if (this.#host.task(partition) === undefined) return;
    // Points that arrive while series are being warm-started wait for the prime, so the new
    // pipelines score them primed instead of cold; at most WARM_START_HOLD_MS, so a point store
    // that does not answer delays consumption, never stops it.
    if (this.#warming !== null) await this.#awaitWarmStart(this.#warming);
    const entries: LogEntry[] = records.map((r) => ({ offset: r.offset + 1, batch: decodeBatch(r.value) }));
    this.#host.deliver(partition, entries);
    while (this.#host.lagPoints(partition) > this.#d.maxLagPoints) await this.#d.time.defer();
  }

  async revoked(partitions: readonly number[]): Promise<void> {
    for (const t of await this.#host.revoke(partitions)) addStats(this.#retired, t.stats);
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
    changedIds?: Set<number>,
  ): number {
    let changed = 0;
    for (const t of this.#host.tasks()) {
      for (const [sid, c] of configs) {
        if (JSON.stringify(t.configOf(sid)) === JSON.stringify(c)) continue;
        try {
          t.setConfig(sid, c);
          changed++;
          changedIds?.add(sid);
        } catch (err) {
          refused?.(sid, err);
        }
      }
    }
    return changed;
  }

  /**
   * Warm start (./warm-start.ts) of series that just got a new pipeline: each owned partition
   * whose task holds a series primes it from `range` (the point store) and the task's unflushed
   * points; the other tasks only let the series' wait go (Engine.prime with no points).
   */
  async warmStart(
    seriesIds: readonly number[],
    range: (seriesId: number, from: number, to: number) => Promise<ScoredPoint[]>,
    maxPoints: number,
  ): Promise<WarmStartResult> {
    const run = this.#warmStart(seriesIds, range, maxPoints);
    const held = run.catch(() => {});
    this.#warming = held;
    try {
      return await run;
    } finally {
      if (this.#warming === held) this.#warming = null;
    }
  }

  async #awaitWarmStart(warming: Promise<unknown>): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = this.#d.time.timer(resolve, WARM_START_HOLD_MS);
    });
    await Promise.race([warming, bound]);
    timer?.cancel();
  }

  async #warmStart(
    seriesIds: readonly number[],
    range: (seriesId: number, from: number, to: number) => Promise<ScoredPoint[]>,
    maxPoints: number,
  ): Promise<WarmStartResult> {
    const sum: WarmStartResult = { series: 0, points: 0, failed: 0 };
    for (const t of this.#host.tasks()) {
      const held = seriesIds.filter((sid) => t.hasSeries(sid));
      for (const sid of seriesIds) if (!t.hasSeries(sid)) t.prime(sid, []);
      const r = await warmStart(held, {
        range: (sid, from, to) => withUnflushed(range(sid, from, to), t.unflushed(sid, from, to)),
        primeBefore: (sid) => t.primeBefore(sid),
        prime: (sid, points) => t.prime(sid, points),
        maxPoints,
      });
      addWarmStart(sum, r);
    }
    return sum;
  }

  /**
   * Deletes series from the tasks of the partitions they belong to (ids by partition): each owned
   * partition's task forgets them and deletes what its store holds of them; others are skipped.
   */
  async deleteSeries(byPartition: ReadonlyMap<number, readonly number[]>): Promise<void> {
    for (const [p, ids] of byPartition) await this.#host.task(p)?.deleteSeries(ids);
  }

  /** Checkpoints every partition at once (a flush, or the last word before closing). */
  async checkpointAll(): Promise<void> {
    await Promise.all(this.#host.tasks().map((t) => t.checkpoint()));
  }

  /** Partitions this member owns now. */
  partitionCount(): number {
    return this.#host.partitions.length;
  }

  async drain(): Promise<void> {
    await this.#host.drain();
  }

  stats(): RuntimeStats {
    const sum = emptyStats();
    addStats(sum, this.#retired);
    for (const t of this.#host.tasks()) addStats(sum, t.stats);
    sum.pointsAccepted = this.#host.acceptedPoints();
    return sum;
  }

  /** Series with state in this member's partitions. */
  seriesCount(): number {
    let n = 0;
    for (const t of this.#host.tasks()) n += t.seriesCount;
    return n;
  }

  lagPoints(): number {
    return this.#host.lagPoints();
  }
}

/** Per-model stats of several runtimes (partitions, engine threads) added up. */
export function sumModelStats(
  parts: readonly ReadonlyMap<string, ModelRunStats>[],
): Map<string, ModelRunStats> {
  const out = new Map<string, ModelRunStats>();
  for (const part of parts) {
    for (const [key, s] of part) {
      const o = out.get(key);
      if (o === undefined) out.set(key, { ...s });
      else {
        o.series += s.series;
        o.opened += s.opened;
        o.labelled += s.labelled;
        o.confirmed += s.confirmed;
      }
    }
  }
  return out;
}
