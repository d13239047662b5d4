/**
 * The detection task of one log partition: the Engine (per-series state, score-then-learn) fed
 * entry by entry, its scored points in a write-behind PointBuffer, its anomaly changes in an
 * AnomalyOutbox, and a Checkpointer that commits both with the engine state and the offset they
 * reflect, on a wall-clock punctuation, on demand and at close. `init` restores the last
 * checkpoint; the host then delivers the entries after its offset (a log replay or a consumer
 * positioned there), so the output after a crash equals an uninterrupted run's.
 */

import type { MaintenanceWindow } from '../core/alerting/maintenance.ts';
import type { Anomaly } from '../core/anomaly.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import type { ModelRef } from '../core/models/model.ts';
import { type ModelAssignment, modelLabel } from '../core/models/serving.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import type { CheckpointStore, StoredDeletion } from '../ports/checkpoint-store.ts';
import type { LogEntry } from '../ports/log.ts';
import type { AnomalySink, SeriesConfig } from '../ports/meta-store.ts';
import { AnomalyOutbox } from './anomaly-outbox.ts';
import { Checkpointer } from './checkpointer.ts';
import type { Engine, EngineOutput, ModelRunStats } from './engine.ts';
import { PointBuffer } from './point-buffer.ts';
import { emptyStats, type RuntimeStats } from './runtime-stats.ts';
import type { PunctuationType, Task, TaskContext } from './task.ts';

export interface DetectionTaskDeps {
  engine: Engine;
  checkpoints: CheckpointStore;
  /** Where anomaly changes go at once; without it they are part of the checkpoints. */
  anomalies?: AnomalySink;
  /**
   * Sees every anomaly change as it is made, before it is durable (the embedded alerter's feed; a
   * replay after a crash makes the same changes again). MUST NOT throw or block.
   */
  observe?: (a: Anomaly) => void;
  /**
   * Scored points held since the last write that start a points flush, where the CheckpointStore
   * can write points ahead of a checkpoint; 0 or absent: points wait for checkpoints.
   */
  flushAt?: number;
  /** Wall-clock milliseconds between checkpoints; absent: checkpoints only on demand and at close. */
  checkpointIntervalMs?: number;
}

export class DetectionTask implements Task {
  /** Counters of this task; `pointsAccepted` is the host's to count. */
  readonly stats: RuntimeStats = emptyStats();
  readonly #d: DetectionTaskDeps;
  readonly #engine: Engine;
  readonly #points = new PointBuffer();
  readonly #flushAt: number;
  readonly #out: EngineOutput;
  // Set by `init`: they need the context.
  #anomalies!: AnomalyOutbox;
  #checkpointer!: Checkpointer;
  #ctx!: TaskContext;
  #offset = 0;
  #flushScheduled = false;
  #closed = false;
  /** Anomalies opened per model version (`name@version`) by this task since it started. */
  readonly #openedByModel = new Map<string, number>();

  constructor(deps: DetectionTaskDeps) {
    this.#d = deps;
    this.#engine = deps.engine;
    this.#flushAt = deps.flushAt !== undefined && deps.flushAt > 0 ? deps.flushAt : Number.POSITIVE_INFINITY;
    this.#out = {
      point: (sid, p, late) => {
        this.stats.pointsScored++;
        if (late) this.stats.pointsLate++;
        if (this.#points.push(sid, p) >= this.#flushAt && !this.#flushScheduled && !this.#checkpointer.busy) {
          this.#flushScheduled = true;
          this.#ctx.soon(() => {
            this.#flushScheduled = false;
            // A failed flush puts its points back; the next flush or checkpoint writes them.
            this.flush().catch(() => {});
          });
        }
      },
      anomaly: (a) => {
        if (a.points === 1 && a.open) {
          this.stats.anomaliesOpened++;
          if (a.model !== undefined) {
            const key = modelLabel(a.model);
            this.#openedByModel.set(key, (this.#openedByModel.get(key) ?? 0) + 1);
          }
        }
        this.#anomalies.add(a);
        this.#d.observe?.(a);
      },
      rejected: (reason) => {
        this.stats.rejected[reason]++;
      },
      learningPaused: () => {
        this.stats.pointsLearningPaused++;
      },
    };
  }

  async init(ctx: TaskContext): Promise<number> {
    this.#ctx = ctx;
    this.#anomalies = new AnomalyOutbox(this.#d.anomalies, ctx.soon);
    this.#checkpointer = new Checkpointer({
      engine: this.#engine,
      store: this.#d.checkpoints,
      points: this.#points,
      anomalies: this.#anomalies,
      stats: this.stats,
      ctx,
      offset: () => this.#offset,
    });
    const cp = await this.#d.checkpoints.load();
    this.#engine.restore(cp.states, this.#out);
    this.#offset = cp.offset;
    if (this.#d.checkpointIntervalMs !== undefined) ctx.schedule('wall-clock', this.#d.checkpointIntervalMs);
    return cp.offset;
  }

  process(entry: LogEntry): void {
    this.#engine.processBatch(entry.batch, this.#out);
    this.#offset = entry.offset;
  }

  /**
   * The wall-clock schedule: a checkpoint, unless the last one's serialization asks for more room
   * (Checkpointer.due); a failure rejects, and the next punctuation retries.
   */
  punctuate(type: PunctuationType): Promise<void> {
    return type === 'wall-clock' && this.#checkpointer.due() ? this.checkpoint() : Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#checkpointer.settled();
    await this.#checkpointer.checkpoint();
  }

  /** Commits everything processed so far (see Checkpointer.checkpoint). */
  checkpoint(): Promise<void> {
    return this.#checkpointer.checkpoint();
  }

  /** Writes long point tails ahead of the next checkpoint (see Checkpointer.flush). */
  flush(): Promise<void> {
    return this.#checkpointer.flush();
  }

  /** Offset of the last entry processed. */
  get offset(): number {
    return this.#offset;
  }

  /** Series the checkpoint's restore started afresh, to warm start (Engine.takeRestoredAfresh). */
  takeRestoredAfresh(): number[] {
    return this.#engine.takeRestoredAfresh();
  }

  /**
   * Changes a series' detector config now (the series starts afresh; an open anomaly closes).
   * The host calls it between two entries, never inside one.
   */
  setConfig(seriesId: number, config: SeriesConfig): void {
    this.#engine.setConfig(seriesId, config, this.#out);
  }

  /**
   * Deletes series: their state, buffered points and pending anomaly changes here, then what the
   * store holds of them. Waits until no checkpoint or flush is being written, then forgets them and
   * sends the store's delete in the same turn, so no later write carries them; their points that
   * arrive afterwards are dropped (Engine.deleteSeries). `points` counts the buffered ones too.
   */
  async deleteSeries(ids: readonly number[]): Promise<StoredDeletion> {
    // Checked again in the turn that goes on: a write may start between idle() and here.
    while (this.#checkpointer.busy) await this.#checkpointer.idle();
    this.#engine.deleteSeries(ids);
    const buffered = this.#points.drop(ids);
    this.#anomalies.drop(new Set(ids));
    const stored = await this.#d.checkpoints.deleteSeries?.(ids);
    return {
      points: (stored?.points ?? 0) + buffered,
      chunks: stored?.chunks ?? 0,
      anomalies: stored?.anomalies ?? 0,
    };
  }

  /** Primes the series' pipeline with its history, emitting nothing (Engine.prime); returns how many points. */
  prime(seriesId: number, points: readonly { ts: number; value: number }[]): number {
    return this.#engine.prime(seriesId, points);
  }

  /** Whether the series has state in this task's engine. */
  hasSeries(seriesId: number): boolean {
    return this.#engine.hasSeries(seriesId);
  }

  /** Where the series' primable history ends (Engine.primeBefore). */
  primeBefore(seriesId: number): number | null {
    return this.#engine.primeBefore(seriesId);
  }

  /** Sets the maintenance windows of every series (Engine.setMaintenance). */
  setMaintenance(windows: ReadonlyMap<number, readonly MaintenanceWindow[]>): void {
    this.#engine.setMaintenance(windows);
  }

  /**
   * Sets the served model of every series (Engine.setModels); returns the series that switched
   * version. A switch is checkpointed at once (after any checkpoint in flight), so a crash after it
   * replays the entries that follow under the new version, as they were scored; only a crash
   * before that checkpoint commits replays them under the version the previous checkpoint holds
   * (docs/models.md, "Serving and hot reload").
   */
  setModels(assignments: ReadonlyMap<number, ModelAssignment>, keep: readonly string[] = []): number[] {
    const switched = this.#engine.setModels(assignments, this.#out, keep);
    if (switched.length > 0 && this.#checkpointer !== undefined && !this.#closed) {
      this.#checkpointer
        .settled()
        .catch(() => {})
        .then(() => (this.#closed ? undefined : this.#checkpointer.checkpoint()))
        // A failed checkpoint keeps its output for the next (wall-clock) one.
        .catch(() => {});
    }
    return switched;
  }

  /** Per model version: series running it, anomalies opened here, feedback on them (Engine.modelStats). */
  modelStats(): Map<string, ModelRunStats> {
    const out = this.#engine.modelStats();
    for (const [key, n] of this.#openedByModel) {
      const s = out.get(key);
      if (s !== undefined) s.opened = n;
      else out.set(key, { series: 0, opened: n, labelled: 0, confirmed: 0 });
    }
    return out;
  }

  /** The model version a series runs now (Engine.modelOf). */
  modelOf(seriesId: number): ModelRef | undefined {
    return this.#engine.modelOf(seriesId);
  }

  /** Sets the series' feedback (Engine.feedback): every label, oldest first. */
  feedback(seriesId: number, examples: readonly FeedbackExample[]): void {
    this.#engine.feedback(seriesId, examples);
  }

  postRuleStates(seriesId: number): StageState[] | undefined {
    return this.#engine.postRuleStates(seriesId);
  }

  configOf(seriesId: number): SeriesConfig {
    return this.#engine.configOf(seriesId);
  }

  /** Series the engine holds state for. */
  get seriesCount(): number {
    return this.#engine.seriesCount;
  }

  /** Scored points with from ≤ ts < to not yet in the store, for queries to merge with stored ones. */
  unflushed(seriesId: number, from: number, to: number): ScoredPoint[] {
    const out: ScoredPoint[] = [];
    this.#points.collect(seriesId, from, to, out);
    return out;
  }

  /** Anomaly changes not yet durable (newer than what the store holds), older forms first. */
  unflushedAnomalies(): Anomaly[] {
    return this.#anomalies.unflushed();
  }
}
