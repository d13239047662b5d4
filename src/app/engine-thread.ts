/**
 * Main-thread side of the embedded engine: the engine threads (./engine-worker.ts, one
 * ./engine-shard.ts each), the series sharded over them (src/engine/shard.ts). Ingest batches are
 * made durable here (group commit onto the log, whose own writer thread does the fsyncs) and each
 * request is answered as soon as its entry is durable; the log writer sends the committed entries
 * to every engine thread, and each scores the points of its own series, stores its scored points
 * and anomalies and checkpoints on its own. A call about one series goes to the thread that owns
 * it; the others (drain, checkpoint, maintenance, queries over many series) go to all of them. The
 * log is truncated up to the oldest offset every thread's checkpoint covers.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Config } from '../config/schema.ts';
import type { MaintenanceWindow } from '../core/alerting/maintenance.ts';
import { type Anomaly, type AnomalyQuery, selectAnomalies } from '../core/anomaly.ts';
import type { Downsampled } from '../core/downsample.ts';
import { VigilError } from '../core/errors.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import type { ModelAssignment } from '../core/models/serving.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import { PointColumns } from '../core/point-columns.ts';
import type { ModelRunStats } from '../engine/engine.ts';
import { GroupCommit } from '../engine/group-commit.ts';
import { addStats, emptyStats, type RuntimeStats } from '../engine/runtime-stats.ts';
import { shardOf } from '../engine/shard.ts';
import type { StoredDeletion } from '../ports/checkpoint-store.ts';
import type { Log, PointBatch } from '../ports/log.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';
import { type ArgsOf, EngineShard, type Op } from './engine-shard.ts';
import type { BatchSink } from './ingest-service.ts';
import { sumModelStats } from './partition-tasks.ts';
import { addWarmStart } from './warm-start.ts';

export interface EngineThreadInit {
  config: Config;
  logPath: string;
  /** One store per engine thread: their count is the shard count (see ./engine-stores.ts). */
  storePaths: string[];
  /** The stored per-series configs, as of the start. */
  configs: Map<number, SeriesConfig>;
  /** Ids of deleted series (the catalog's tombstones), as of the start; absent: none. */
  deleted?: number[];
  /** One forward port of the log writer thread per engine thread (src/adapters/sqlite/log-worker.ts). */
  entries: MessagePort[];
}

/** What a warm start did (./warm-start.ts), over every thread; `error`: the first read failure's message. */
export interface WarmStartSummary {
  series: number;
  points: number;
  failed: number;
  error?: string;
}

export interface EngineThreadDeps {
  init: EngineThreadInit;
  /** The log the main thread appends to (and truncates when every engine thread's checkpoint covers it). */
  log: Log;
  /** Messages the engine threads log. */
  onLog: (level: 'error' | 'warn', msg: string, err: string) => void;
  /** Called once if an engine thread dies; nothing is scored after that. */
  failed: (err: Error) => void;
  /** Every anomaly change as the engine makes it, latest form per run and slice (the alerter's feed). */
  onAnomalies?: (list: Anomaly[]) => void;
}

export class EngineThread implements BatchSink {
  readonly #shards: EngineShard[];
  readonly #commits: GroupCommit;
  /** Per shard, the offset its last checkpoint committed (-1: none yet in this process). */
  readonly #committed: number[];
  #truncated = 0;
  #failed = false;
  /** Offset of the last entry made durable (the engine threads get it from the log writer). */
  #committedOffset = 0;

  constructor(deps: EngineThreadDeps) {
    const { init } = deps;
    const n = init.storePaths.length;
    if (n < 1 || init.entries.length !== n) throw new Error('one store and one entry port per engine thread');
    this.#committed = new Array<number>(n).fill(-1);
    const failed = (err: Error) => {
      if (this.#failed) return;
      this.#failed = true;
      deps.failed(err);
    };
    this.#shards = init.storePaths.map(
      (storePath, shard) =>
        new EngineShard({
          init: {
            config: init.config,
            logPath: init.logPath,
            storePath,
            configs: init.configs,
            ...(init.deleted !== undefined ? { deleted: init.deleted } : {}),
            entries: init.entries[shard]!,
            shard,
            shards: n,
          },
          committed: (upTo) => this.#shardCommitted(deps, shard, upTo),
          onLog: deps.onLog,
          failed,
          ...(deps.onAnomalies !== undefined ? { onAnomalies: deps.onAnomalies } : {}),
        }),
    );
    // The log writer thread sends the committed entries to the engine threads itself.
    this.#commits = new GroupCommit(
      deps.log,
      (fn) => setImmediate(fn),
      (entries) => {
        this.#committedOffset = entries[entries.length - 1]!.offset;
      },
    );
  }

  /** The number of engine threads (shards). */
  get threads(): number {
    return this.#shards.length;
  }

  #shardCommitted(deps: EngineThreadDeps, shard: number, upTo: number): void {
    this.#committed[shard] = Math.max(this.#committed[shard]!, upTo);
    const upToAll = Math.min(...this.#committed);
    if (upToAll <= this.#truncated) return;
    this.#truncated = upToAll;
    deps.log
      .truncate(upToAll)
      .catch((err: Error) => deps.onLog('warn', 'log truncation failed', err.message));
  }

  #owner(seriesId: number): EngineShard {
    return this.#shards[shardOf(seriesId, this.#shards.length)]!;
  }

  #all<O extends Op>(op: O, ...args: ArgsOf<O>): Promise<unknown[]> {
    return Promise.all(this.#shards.map((s) => s.send(op, args)));
  }

  /** Restores each thread's last checkpoint and replays the log after it; then checkpoints run on the interval. */
  async recover(): Promise<{ offset: number; replayedEntries: number; afresh: number[] }> {
    const all = (await this.#all('recover')) as {
      offset: number;
      replayedEntries: number;
      afresh: number[];
    }[];
    return {
      offset: Math.min(...all.map((r) => r.offset)),
      replayedEntries: Math.max(...all.map((r) => r.replayedEntries)),
      afresh: all.flatMap((r) => r.afresh),
    };
  }

  /** Resolves once the batch is durable in the log; the engine threads score it after. */
  submit(batch: PointBatch): Promise<void> {
    const failed = this.#shards.find((s) => s.rpc.failed !== null)?.rpc.failed;
    if (failed !== undefined && failed !== null) {
      return Promise.reject(
        new VigilError('VIGIL_ERR_ENGINE', `the engine thread failed: ${failed.message}`),
      );
    }
    return this.#commits.submit(batch);
  }

  /** Points durable but not yet scored (as of the engine threads' last reports, ≤ 20 ms old). */
  get lagPoints(): number {
    let consumed = 0;
    for (const s of this.#shards) consumed += s.consumed;
    return this.#commits.pointsCommitted - consumed;
  }

  /** The engine threads' counters as last reported, summed; `pointsAccepted` counts what was made durable here. */
  get stats(): RuntimeStats {
    const sum = emptyStats();
    for (const s of this.#shards) addStats(sum, s.stats);
    return { ...sum, pointsAccepted: this.#commits.pointsCommitted };
  }

  /** Series the engine holds state for (as last reported). */
  get seriesCount(): number {
    let n = 0;
    for (const s of this.#shards) n += s.seriesCount;
    return n;
  }

  /** Resolves when every point submitted so far is durable and scored. */
  async drain(): Promise<void> {
    while (this.#commits.busy) await new Promise((r) => setImmediate(r));
    await this.#all('drain', this.#committedOffset);
  }

  async checkpoint(): Promise<void> {
    await this.#all('checkpoint');
  }

  /** Scored points with from ≤ ts < to, stored and not yet stored, by time. */
  async points(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    const r = (await this.#owner(seriesId).call('points', seriesId, from, to)) as {
      buffer: ArrayBuffer;
      length: number;
    };
    const cols = PointColumns.wrap(r.buffer, r.length);
    const out: ScoredPoint[] = new Array(r.length);
    for (let i = 0; i < r.length; i++) out[i] = cols.at(i);
    return out;
  }

  /**
   * Scored points with from ≤ ts < to, stored and not yet stored, downsampled to `maxPoints` as
   * core/downsample.ts does, by the thread that owns the series (so only the kept points cross).
   */
  async downsampled(seriesId: number, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const r = (await this.#owner(seriesId).call('downsampled', seriesId, from, to, maxPoints)) as {
      total: number;
      buffer: ArrayBuffer;
      length: number;
    };
    return { total: r.total, points: PointColumns.wrap(r.buffer, r.length).toPoints() };
  }

  /** Each thread's answer to `q` (limit included), merged: the newest `q.limit` of them. */
  async anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    const all = (await this.#all('anomalies', q)) as Anomaly[][];
    return all.length === 1 ? all[0]! : selectAnomalies(all.flat(), q);
  }

  configOf(seriesId: number): Promise<SeriesConfig> {
    return this.#owner(seriesId).call('configOf', seriesId) as Promise<SeriesConfig>;
  }

  /** Applies a (stored) config change between two engine slices: the series starts afresh. */
  async setConfig(seriesId: number, config: SeriesConfig): Promise<void> {
    await this.#owner(seriesId).call('setConfig', seriesId, config);
  }

  /**
   * Warm start (./warm-start.ts) of series that just got a new pipeline, each on the thread that
   * owns it, from its own store: up to `models.warmStartPoints` of its newest points each.
   */
  async warmStart(seriesIds: readonly number[]): Promise<WarmStartSummary> {
    const parts = this.#split(seriesIds.length, (i) => seriesIds[i]!);
    const done = (await Promise.all(
      parts.map((idx, shard) =>
        idx.length === 0
          ? null
          : this.#shards[shard]!.call(
              'warmStart',
              idx.map((i) => seriesIds[i]!),
            ),
      ),
    )) as (WarmStartSummary | null)[];
    const sum: WarmStartSummary = { series: 0, points: 0, failed: 0 };
    for (const d of done) if (d !== null) addWarmStart(sum, d);
    return sum;
  }

  /**
   * Deletes the series' state, buffered output and stored points, anomalies and state, each on the
   * thread that owns it (after the catalog made the deletion durable: see ./engine-worker.ts).
   */
  deleteSeries(seriesIds: number[]): Promise<StoredDeletion> {
    return this.#deleteByOwner(seriesIds, (shard, idx) =>
      shard.call(
        'deleteSeries',
        idx.map((i) => seriesIds[i]!),
      ),
    );
  }

  /** Retention of series `seriesIds[i]` before `cutoffs[i]` (SqliteStoreDb.retain), on each owner's store writer. */
  retain(seriesIds: Int32Array, cutoffs: Float64Array): Promise<StoredDeletion> {
    return this.#deleteByOwner(seriesIds, (shard, idx) =>
      shard.call(
        'retain',
        Int32Array.from(idx, (i) => seriesIds[i]!),
        Float64Array.from(idx, (i) => cutoffs[i]!),
      ),
    );
  }

  /** Runs `run` on each shard owning some of `seriesIds` (with their indexes) and sums what they deleted. */
  async #deleteByOwner(
    seriesIds: ArrayLike<number>,
    run: (shard: EngineShard, idx: number[]) => Promise<unknown>,
  ): Promise<StoredDeletion> {
    const parts = this.#split(seriesIds.length, (i) => seriesIds[i]!);
    const done = await Promise.all(
      parts.map((idx, shard) => (idx.length === 0 ? null : run(this.#shards[shard]!, idx))),
    );
    return sumDeletions(done as (StoredDeletion | null)[]);
  }

  /** Indexes 0..n-1 by the shard owning series `idOf(i)`. */
  #split(n: number, idOf: (i: number) => number): number[][] {
    const parts: number[][] = this.#shards.map(() => []);
    for (let i = 0; i < n; i++) parts[shardOf(idOf(i), this.#shards.length)]!.push(i);
    return parts;
  }

  /**
   * Sets a series' feedback (every label, oldest first) between two engine slices: its pipeline's
   * feedback stage learns it; the series keeps the rest of its state.
   */
  async feedback(seriesId: number, examples: FeedbackExample[]): Promise<void> {
    await this.#owner(seriesId).call('feedback', seriesId, examples);
  }

  /** The post-rule states of the series' running pipeline; undefined before its first point. */
  postRuleStates(seriesId: number): Promise<StageState[] | undefined> {
    return this.#owner(seriesId).call('postRuleStates', seriesId) as Promise<StageState[] | undefined>;
  }

  /** Sets the maintenance windows of every series (Engine.setMaintenance) on every thread, between two slices. */
  async setMaintenance(windows: Map<number, MaintenanceWindow[]>): Promise<void> {
    await this.#all('maintenance', windows);
  }

  /**
   * Sets the served model of every series (Engine.setModels) on every thread, between two slices;
   * resolves with the series that switched version (to warm start: `warmStart`).
   */
  async setModels(assignments: Map<number, ModelAssignment>, keep: string[] = []): Promise<number[]> {
    return ((await this.#all('models', assignments, keep)) as number[][]).flat();
  }

  /** Per model version, summed over the threads (DetectionTask.modelStats). */
  async modelStats(): Promise<Map<string, ModelRunStats>> {
    return sumModelStats((await this.#all('modelStats')) as Map<string, ModelRunStats>[]);
  }

  /** Waits for pending commits, drains and checkpoints every engine thread still running, and ends them. */
  async close(): Promise<void> {
    while (this.#commits.busy) await new Promise((r) => setImmediate(r));
    const offset = this.#committedOffset;
    await Promise.all(this.#shards.filter((s) => s.rpc.failed === null).map((s) => s.call('close', offset)));
    await Promise.all(this.#shards.map((s) => s.end()));
  }
}

function sumDeletions(parts: (StoredDeletion | null)[]): StoredDeletion {
  const sum: StoredDeletion = { points: 0, chunks: 0, anomalies: 0 };
  for (const p of parts) {
    if (p === null) continue;
    sum.points += p.points;
    sum.chunks += p.chunks;
    sum.anomalies += p.anomalies;
  }
  return sum;
}
