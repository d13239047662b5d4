/**
 * The streaming engine: per-series pipeline state (core/pipeline), score-then-learn, event-time rules and anomaly
 * runs, and resampling where a series' config asks for it. Pure and synchronous: no I/O, no clock. The runtime feeds it log entries in offset order
 * and collects what it emits; because detectors are deterministic, replaying the same entries
 * from a checkpoint gives the same output as an uninterrupted run.
 */
import { MaintenanceSet, type MaintenanceWindow } from '../core/alerting/maintenance.ts';
import type { Anomaly } from '../core/anomaly.ts';
import type { DetectorState } from '../core/detectors/detector.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import type { ModelRef } from '../core/models/model.ts';
import { type ModelAssignment, modelLabel, sameModel } from '../core/models/serving.ts';
import type { ResolvedPipeline } from '../core/pipeline/declaration.ts';
import type { Pipeline, PipelineState } from '../core/pipeline/pipeline.ts';
import { type Pipelines, pipelinesOf } from '../core/pipeline/pipelines.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import { checkResample, type Resample, Resampler } from '../core/resample.ts';
import { pipelineLabel, type SeriesConfig } from '../core/series-config.ts';
import type { PointBatch } from '../ports/log.ts';
import { accept, admit, newRecent, recentOf, type SeriesClock } from './admission.ts';

export type RejectReason = 'too_late' | 'duplicate';

/** What Engine.modelStats counts per model version. */
export interface ModelRunStats {
  series: number;
  /** Anomalies it opened (counted by the runtime: DetectionTask.modelStats; 0 here). */
  opened: number;
  /** Feedback labels on anomalies of this version, and those of them labelled `anomaly`. */
  labelled: number;
  confirmed: number;
}

export interface EngineOutput {
  /** A scored point; `late` points were scored against the current state but not learned from. */
  point(seriesId: number, p: ScoredPoint, late: boolean): void;
  /** The current form of an anomaly run (emitted on open, on each extension and on close). */
  anomaly(a: Anomaly): void;
  rejected(reason: RejectReason, seriesId: number, ts: number): void;
  /** A point (raw or a closed bucket) fell in a maintenance window: scored, emitted, not learned from. */
  learningPaused?(seriesId: number, ts: number): void;
}

export interface EngineOptions {
  registry: DetectorRegistry;
  defaults: SeriesConfig;
  /** How far behind a series' newest point a point may arrive and still be scored. */
  allowedLatenessMs: number;
  /**
   * Live points a pipeline rebuilt by `setConfig` keeps (timestamp and value) until its series is
   * primed, so that `prime` can put the history before them (see `prime`); 0 or absent: none are
   * kept, and a prime that comes after the new pipeline learnt a live point primes nothing.
   */
  primeReplayMax?: number;
}

/** Points a new pipeline learnt live before its prime: relearnt after the primed history. */
interface LiveSincePipeline {
  ts: number[];
  values: number[];
  /** More than `primeReplayMax` came: the recording is incomplete and cannot be relearnt. */
  overflow: boolean;
}

/**
 * One series' state in the engine. A class with every field set in its constructor, not an object
 * spread from the clock: the spread form kept four of its fields in a separate property array
 * (112 bytes a series, issue 19).
 */
class SeriesTask implements SeriesClock {
  lastTs = Number.NEGATIVE_INFINITY;
  recent = newRecent();
  written = 0;
  config: SeriesConfig;
  pipeline: Pipeline;
  /** The open buckets when the config resamples, else null. */
  resampler: Resampler | null;
  run: Anomaly | null = null;
  dirty = false;
  /** The maintenance windows covering the series (Engine.setMaintenance); undefined: none. */
  maintenance: MaintenanceSet | undefined;
  /** The pipeline has learnt no point since it was built (a prime may put history before it all). */
  fresh = true;
  /** The points the pipeline learnt while awaiting a prime (see `prime`); null: not awaiting one. */
  live: LiveSincePipeline | null = null;
  /** The served model version `config` comes from (Engine.setModels); undefined: default or override. */
  model: ModelRef | undefined;
  /**
   * The series' newest timestamp when `model` took over: anomalies starting after it are that
   * version's; undefined: from its first point. Not a number field starting at -Infinity: V8 would
   * give every series a 16-byte box for it.
   */
  modelFrom: number | undefined;

  constructor(
    config: SeriesConfig,
    pipeline: Pipeline,
    resampler: Resampler | null,
    maintenance: MaintenanceSet | undefined,
    model: ModelRef | undefined,
  ) {
    this.config = config;
    this.pipeline = pipeline;
    this.resampler = resampler;
    this.maintenance = maintenance;
    this.model = model;
  }
}

interface SerializedTask {
  /** A per-series config, or the config of the model version `model` (restored with it: see `restore`). */
  config?: SeriesConfig;
  model?: ModelRef;
  /** SeriesTask.modelFrom (absent: from the series' first point). */
  modelFrom?: number;
  pipeline?: PipelineState;
  /** A bare detector state, as written before pipelines: restores the detector stage. */
  detector?: DetectorState;
  lastTs: number;
  recent: number[];
  run: Anomaly | null;
  /** Open buckets of a resampled series (Resampler.snapshot), with the resampling they are of. */
  buckets?: { resample: Resample; open: number[] };
}

/** Series serialized between two yields of `serializeDirty` (about 0.2 ms for EWMA state). */
const SERIALIZE_STEP = 64;

export class Engine {
  readonly #opts: EngineOptions;
  readonly #pipelines: Pipelines;
  /** Each config's pipeline, resolved once (the defaults are shared by every series). */
  readonly #resolved = new WeakMap<SeriesConfig, ResolvedPipeline>();
  // Series ids are small dense integers, so an array beats a Map on the per-point path.
  readonly #tasks: (SeriesTask | undefined)[] = [];
  #count = 0;
  readonly #overrides = new Map<number, SeriesConfig>();
  /** Each series' feedback as last set: handed to its pipeline whenever one is built. */
  readonly #feedback = new Map<number, readonly FeedbackExample[]>();
  #dirty: number[] = [];
  /**
   * Deleted series: their ids are never given out again, and points of theirs still in flight (or
   * in a replayed log) are dropped instead of starting a new state.
   */
  readonly #deleted = new Set<number>();
  /** The maintenance windows of each covered series, as last set; copied into its task. */
  #maintenance = new Map<number, MaintenanceSet>();
  /** Series given a new pipeline by `setConfig` before they had a task: awaiting a prime. */
  readonly #primePending = new Set<number>();
  /** Series restored under another pipeline than their checkpoint's (see `takeRestoredAfresh`). */
  #restoredAfresh: number[] = [];
  /** Each series' served model, as last set (Engine.setModels); a series absent runs the default. */
  #models: ReadonlyMap<number, ModelAssignment> = new Map();
  /** Whether setModels was called: until then a restored series keeps its checkpoint's model. */
  #modelsKnown = false;
  /**
   * Models whose served version is unknown (its @production refused with nothing of it loaded): a
   * series running one of their versions and assigned none keeps it (Engine.setModels).
   */
  #keep: ReadonlySet<string> = new Set();

  constructor(opts: EngineOptions) {
    this.#opts = opts;
    this.#pipelines = pipelinesOf(opts.registry);
  }

  get seriesCount(): number {
    return this.#count;
  }

  /** Whether the series has state here (a task: it had points, or a restored state, or a prime). */
  hasSeries(seriesId: number): boolean {
    return this.#tasks[seriesId] !== undefined;
  }

  /**
   * The config a series runs: its per-series config, else its served model's (the version its
   * state runs, which a restore may have taken from the checkpoint), else the default.
   */
  configOf(seriesId: number): SeriesConfig {
    return this.#tasks[seriesId]?.config ?? this.#assignedConfig(seriesId);
  }

  /** What a new pipeline of the series runs: per-series config, else the model set, else the default. */
  #assignedConfig(seriesId: number): SeriesConfig {
    return this.#overrides.get(seriesId) ?? this.#models.get(seriesId)?.config ?? this.#opts.defaults;
  }

  /**
   * Sets a per-series config. The series' pipeline starts afresh (its learned state belongs to
   * the old one); an open anomaly run is closed.
   */
  setConfig(seriesId: number, config: SeriesConfig, out: EngineOutput): void {
    // Validates the pipeline and the resampling before anything changes.
    const pipeline = this.#create(config, seriesId);
    this.#checkResample(config);
    this.#overrides.set(seriesId, config);
    const task = this.#tasks[seriesId];
    if (task !== undefined) {
      this.#closeRun(task, out);
      task.config = config;
      task.pipeline = pipeline;
      task.model = undefined;
      // Points in open buckets belonged to the old config's series view: they are dropped.
      task.resampler = config.resample === undefined ? null : new Resampler(config.resample);
      this.#markDirty(seriesId, task);
    }
    this.#awaitingPrime(seriesId, task);
  }

  /**
   * A series just got a new pipeline (a config change, a new model version): it awaits a prime
   * (see `prime`), keeping the live points its new pipeline learns until then where the engine
   * keeps them (`primeReplayMax`). Call it on every path that gives a series a new pipeline.
   */
  #awaitingPrime(seriesId: number, task: SeriesTask | undefined): void {
    if (task === undefined) {
      if (this.#awaitPrime() !== null) this.#primePending.add(seriesId);
      return;
    }
    task.fresh = true;
    task.live = this.#awaitPrime();
  }

  /**
   * The timestamp before which history would be primed now (see `prime`): before the first live
   * point the series' new pipeline learnt, or after its newest point (+Infinity for a series with
   * no task yet); null where a prime would prime nothing (a deleted series, or a pipeline that
   * learnt live points that were not kept). What a warm start reads its history up to.
   */
  primeBefore(seriesId: number): number | null {
    if (this.#deleted.has(seriesId)) return null;
    const task = this.#tasks[seriesId];
    if (task === undefined) return Number.POSITIVE_INFINITY;
    const live = task.live;
    if (live !== null && !live.overflow && live.ts.length > 0) return live.ts[0]!;
    if (!task.fresh) return null;
    return task.lastTs === Number.NEGATIVE_INFINITY ? Number.POSITIVE_INFINITY : task.lastTs + 1;
  }

  /** A recording of live points for a pipeline awaiting a prime, where the engine keeps them. */
  #awaitPrime(): LiveSincePipeline | null {
    return (this.#opts.primeReplayMax ?? 0) > 0 ? { ts: [], values: [], overflow: false } : null;
  }

  /**
   * Primes a series' current pipeline with its history: each point (oldest first) is scored and
   * learnt as a live point would be (score-then-learn; a point in a maintenance window is not
   * learnt), but nothing is emitted: no scored point, no anomaly run, no rejection. Creates the
   * series' task where it has none, and advances its clock to the newest primed point, so later
   * live points are admitted against it (an older one is late, or too late); with no points, a
   * series without a task gets none. Points out of time
   * order, repeated timestamps and non-finite values are skipped. Returns how many were primed.
   *
   * What the history can come before: where the pipeline was rebuilt by `setConfig` and has
   * learnt live points since (a store read takes time), only the history older than the first of
   * them is primed, and those live points (kept, see `EngineOptions.primeReplayMax`) are then
   * learnt again after it, so the state equals one primed before the change took effect. A
   * pipeline that learnt live points that were not kept (none asked, too many, or after a
   * restore) is not primed: 0. A prime ends the series' wait either way; call it (with no points)
   * even when the history could not be read, so the kept points are let go. Between two entries,
   * like `setConfig`.
   */
  prime(seriesId: number, points: readonly { ts: number; value: number }[]): number {
    if (this.#deleted.has(seriesId)) return 0;
    this.#primePending.delete(seriesId);
    let task = this.#tasks[seriesId];
    if (task === undefined) {
      if (points.length === 0) return 0;
      const config = this.configOf(seriesId);
      task = this.#newTask(seriesId, config, this.#create(config, seriesId));
      this.#tasks[seriesId] = task;
      this.#count++;
    }
    const live = task.live;
    task.live = null;
    if (!task.fresh && (live === null || live.overflow)) return 0;
    // Relearning the kept points needs a pipeline that has not learnt them yet.
    const pipeline =
      live !== null && live.ts.length > 0 ? this.#create(task.config, seriesId) : task.pipeline;
    const before = live !== null && live.ts.length > 0 ? live.ts[0]! : Number.POSITIVE_INFINITY;
    let primed = 0;
    let prev = Number.NEGATIVE_INFINITY;
    for (const p of points) {
      if (!(p.ts > prev && p.ts < before) || !Number.isFinite(p.value)) continue;
      prev = p.ts;
      if (task.maintenance?.covers(p.ts) !== true) pipeline.step(p.ts, p.value);
      if (p.ts > task.lastTs) accept(task, p.ts);
      primed++;
    }
    if (live !== null) for (let i = 0; i < live.ts.length; i++) pipeline.step(live.ts[i]!, live.values[i]!);
    task.pipeline = pipeline;
    task.fresh = task.fresh && primed === 0;
    if (!task.dirty) this.#markDirty(seriesId, task);
    return primed;
  }

  /**
   * Sets the feedback of a series (every label, oldest first; empty: none): its pipeline's
   * feedback stage learns it at once, and a pipeline built later (first point, restore, config
   * change) learns it too. The series' state changes, so the next checkpoint holds it.
   */
  feedback(seriesId: number, examples: readonly FeedbackExample[]): void {
    if (examples.length === 0) this.#feedback.delete(seriesId);
    else this.#feedback.set(seriesId, examples);
    const task = this.#tasks[seriesId];
    if (task === undefined) return;
    task.pipeline.feedback(examples);
    if (!task.dirty) this.#markDirty(seriesId, task);
  }

  /**
   * Sets the maintenance windows of every series (core/alerting/maintenance.ts, resolved by the
   * caller from the windows and the series catalog; a series absent has none), replacing the
   * previous set. A point whose timestamp falls in one of its series' windows is scored by the
   * pipeline without learning (`Pipeline.score`), emitted as not anomalous, and closes an open
   * anomaly run; after the window the series goes on from the state it had before it. Between
   * two entries, like `setConfig`.
   */
  setMaintenance(windows: ReadonlyMap<number, readonly MaintenanceWindow[]>): void {
    for (const id of this.#maintenance.keys()) {
      const t = this.#tasks[id];
      if (t !== undefined) t.maintenance = undefined;
    }
    this.#maintenance = new Map();
    for (const [id, w] of windows) {
      const set = new MaintenanceSet(w);
      this.#maintenance.set(id, set);
      const t = this.#tasks[id];
      if (t !== undefined) t.maintenance = set;
    }
  }

  /**
   * Sets the served model of every series (core/models/serving.ts, resolved by the caller from the
   * loaded models and the series catalog; a series absent runs the default), replacing the
   * previous set. A series with a per-series config keeps it (most specific first). A series whose
   * model version changes (to another version, another model, or none) starts afresh under its new
   * config, as `setConfig` does: its learned state belonged to the old pipeline, an open anomaly
   * run is closed. Series whose version is unchanged keep their state. Between two entries, like
   * `setConfig`, so every point is scored by exactly one version. Returns the series switched.
   * Every assigned config MUST resolve against the engine's registry (the caller checked it).
   * `keep`: models whose version is unknown here (e.g. @production refused at a restart): a series
   * running a version of one of them, and assigned nothing, keeps it (and its state).
   */
  setModels(
    assignments: ReadonlyMap<number, ModelAssignment>,
    out: EngineOutput,
    keep: readonly string[] = [],
  ): number[] {
    this.#models = assignments;
    this.#keep = new Set(keep);
    this.#modelsKnown = true;
    const ids: number[] = [];
    for (let id = 0; id < this.#tasks.length; id++) if (this.#tasks[id] !== undefined) ids.push(id);
    return this.#reconcileModels(ids, out);
  }

  /** The model version series `seriesId` runs now; undefined: default or a per-series config. */
  modelOf(seriesId: number): ModelRef | undefined {
    return this.#tasks[seriesId]?.model;
  }

  /**
   * Per model version running here (`name@version`): how many series run it, and of the feedback
   * labels on anomalies it raised (those starting after it took over their series), how many and
   * how many say `anomaly`. On demand (live metrics), one pass over the series.
   */
  modelStats(): Map<string, ModelRunStats> {
    const out = new Map<string, ModelRunStats>();
    for (let id = 0; id < this.#tasks.length; id++) {
      const t = this.#tasks[id];
      if (t?.model === undefined) continue;
      const key = modelLabel(t.model);
      let s = out.get(key);
      if (s === undefined) {
        s = { series: 0, opened: 0, labelled: 0, confirmed: 0 };
        out.set(key, s);
      }
      s.series++;
      for (const f of this.#feedback.get(id) ?? []) {
        if (t.modelFrom !== undefined && f.start <= t.modelFrom) continue;
        s.labelled++;
        if (f.label === 'anomaly') s.confirmed++;
      }
    }
    return out;
  }

  /** The served model of a series without a per-series config, as last set. */
  #modelOf(seriesId: number): ModelRef | undefined {
    return this.#overrides.has(seriesId) ? undefined : this.#models.get(seriesId)?.model;
  }

  /** Switches the series among `ids` whose model differs from the one set; returns them. */
  #reconcileModels(ids: readonly number[], out: EngineOutput | undefined): number[] {
    const switched: number[] = [];
    for (const id of ids) {
      const task = this.#tasks[id];
      if (task === undefined || this.#overrides.has(id)) continue;
      const next = this.#models.get(id);
      if (sameModel(task.model, next?.model)) continue;
      if (next === undefined && task.model !== undefined && this.#keep.has(task.model.name)) continue;
      const config = next?.config ?? this.#opts.defaults;
      if (out !== undefined) this.#closeRun(task, out);
      else task.run = null;
      task.config = config;
      task.model = next?.model;
      task.modelFrom = task.lastTs;
      task.pipeline = this.#create(config, id);
      task.resampler = config.resample === undefined ? null : new Resampler(config.resample);
      // Awaits a warm start, as after setConfig (see `prime`).
      task.fresh = true;
      task.live = this.#awaitPrime();
      if (!task.dirty) this.#markDirty(id, task);
      switched.push(id);
    }
    return switched;
  }

  /** The post-rule states of a series' running pipeline (what its stages learnt); undefined before its first point. */
  postRuleStates(seriesId: number): StageState[] | undefined {
    return this.#tasks[seriesId]?.pipeline.postRuleStates();
  }

  #checkResample(config: SeriesConfig): void {
    if (config.resample === undefined) return;
    checkResample(config.resample, this.#opts.allowedLatenessMs);
  }

  /** Loads overrides at start, before any state is restored or points processed. */
  loadConfigs(configs: Map<number, SeriesConfig>): void {
    for (const [id, c] of configs) this.#overrides.set(id, c);
  }

  /**
   * Forgets deleted series: state, config, open anomaly run (not emitted: the anomaly goes with the
   * series). Their points that arrive later are dropped. Between two entries, like `setConfig`.
   */
  deleteSeries(ids: Iterable<number>): void {
    for (const id of ids) {
      this.#deleted.add(id);
      this.#primePending.delete(id);
      this.#overrides.delete(id);
      this.#feedback.delete(id);
      if (this.#tasks[id] === undefined) continue;
      this.#tasks[id] = undefined;
      this.#count--;
    }
  }

  processBatch(batch: PointBatch, out: EngineOutput): void {
    const { seriesIds, ts, values } = batch;
    for (let i = 0; i < seriesIds.length; i++) this.process(seriesIds[i]!, ts[i]!, values[i]!, out);
  }

  process(seriesId: number, ts: number, value: number, out: EngineOutput): void {
    let task = this.#tasks[seriesId];
    if (task === undefined) {
      // Only here, off the per-point path: a deleted series has no task.
      if (this.#deleted.has(seriesId)) return;
      const config = this.#assignedConfig(seriesId);
      task = this.#newTask(seriesId, config, this.#create(config, seriesId));
      if (this.#primePending.delete(seriesId)) task.live = this.#awaitPrime();
      this.#tasks[seriesId] = task;
      this.#count++;
    }
    if (!task.dirty) this.#markDirty(seriesId, task);
    const verdict = admit(task, ts, this.#opts.allowedLatenessMs);
    if (verdict === 'duplicate' || verdict === 'too_late') {
      out.rejected(verdict, seriesId, ts);
      return;
    }
    if (task.resampler !== null) {
      // Late points join their bucket before it is scored: the detector sees the buckets in order.
      accept(task, ts);
      task.resampler.add(ts, value);
      task.resampler.close(task.lastTs, this.#opts.allowedLatenessMs, (bts, bv) =>
        this.#scoreNext(seriesId, task, bts, bv, out),
      );
      return;
    }
    if (verdict === 'next') {
      accept(task, ts);
      this.#scoreNext(seriesId, task, ts, value, out);
      return;
    }
    // Late but allowed: judged by the current model, not learned from, not part of anomaly runs.
    const p = task.pipeline.score(ts, value);
    accept(task, ts);
    out.point(seriesId, p, true);
  }

  /** Scores a point (raw or a closed bucket) in time order and learns from it. */
  #scoreNext(seriesId: number, task: SeriesTask, ts: number, value: number, out: EngineOutput): void {
    // Series without windows pay one comparison here.
    if (task.maintenance?.covers(ts) === true) {
      // Judged, stored and shown with its score and band, but what a planned outage does is no
      // anomaly: none is raised, and a run open when the window began ends here.
      out.point(seriesId, { ...task.pipeline.score(ts, value), anomalous: false }, false);
      out.learningPaused?.(seriesId, ts);
      this.#closeRun(task, out);
      return;
    }
    const p = task.pipeline.step(ts, value);
    task.fresh = false;
    if (task.live !== null) keepLive(task.live, ts, value, this.#opts.primeReplayMax ?? 0);
    out.point(seriesId, p, false);
    this.#trackRun(seriesId, task, p, out);
  }

  #newTask(seriesId: number, config: SeriesConfig, pipeline: Pipeline, buckets?: number[]): SeriesTask {
    const resampler = config.resample === undefined ? null : new Resampler(config.resample, buckets);
    const maintenance = this.#maintenance.get(seriesId);
    return new SeriesTask(config, pipeline, resampler, maintenance, this.#modelOf(seriesId));
  }

  #resolve(config: SeriesConfig): ResolvedPipeline {
    let p = this.#resolved.get(config);
    if (p === undefined) {
      p = this.#pipelines.resolve(config.pipeline);
      this.#resolved.set(config, p);
    }
    return p;
  }

  #create(config: SeriesConfig, seriesId: number, state?: PipelineState | DetectorState): Pipeline {
    const pipeline = this.#pipelines.create(this.#resolve(config), state);
    const feedback = this.#feedback.get(seriesId);
    if (feedback !== undefined) pipeline.feedback(feedback);
    return pipeline;
  }

  #markDirty(id: number, task: SeriesTask): void {
    task.dirty = true;
    this.#dirty.push(id);
  }

  /** Serialized state of every series changed since the last call; clears the dirty set. */
  takeDirtyStates(): Map<number, string> {
    const states = new Map<number, string>();
    const steps = this.serializeDirty(states);
    while (steps.next().done !== true);
    return states;
  }

  /**
   * `takeDirtyStates` in steps: adds the serialized state of every series changed since the last
   * call to `into`, yielding every few series so the caller can spread the work over several
   * turns. The dirty set is taken at the first step; the caller MUST NOT process points until the
   * generator is done, so that every state reflects the same log offset.
   */
  *serializeDirty(into: Map<number, string>): Generator<void, void> {
    const ids = this.#dirty;
    this.#dirty = [];
    let n = 0;
    for (const id of ids) {
      const t = this.#tasks[id];
      if (t === undefined || !t.dirty) continue;
      t.dirty = false;
      const s: SerializedTask = {
        pipeline: t.pipeline.snapshot(),
        lastTs: t.lastTs,
        // Oldest first, so restoring replays them into the ring in the same order.
        recent: recentOf(t),
        run: t.run,
      };
      if (t.resampler !== null && t.config.resample !== undefined) {
        s.buckets = { resample: t.config.resample, open: t.resampler.snapshot() };
      }
      if (this.#overrides.has(id)) s.config = t.config;
      else if (t.model !== undefined) {
        s.config = t.config;
        s.model = t.model;
        if (t.modelFrom !== undefined && t.modelFrom !== Number.NEGATIVE_INFINITY) s.modelFrom = t.modelFrom;
      }
      into.set(id, JSON.stringify(s));
      if (++n % SERIALIZE_STEP === 0) yield;
    }
  }

  /** Marks series as changed again (a checkpoint that took their state failed). */
  markDirty(ids: Iterable<number>): void {
    for (const id of ids) {
      const t = this.#tasks[id];
      if (t !== undefined && !t.dirty) this.#markDirty(id, t);
    }
  }

  /**
   * The series `restore` started afresh since the last call (their checkpoint's state was written
   * under another pipeline: the preset changed in an upgrade, or the default pipeline in the
   * config), to warm start (`prime`) like series given a new config; clears the list. Where the
   * engine keeps live points for a prime (`primeReplayMax` > 0) a host that restores MUST take
   * them and prime each (with no points where none can be read), or those points stay kept.
   */
  takeRestoredAfresh(): number[] {
    const ids = this.#restoredAfresh.filter((id) => {
      const t = this.#tasks[id];
      return t !== undefined && (t.fresh || t.live !== null);
    });
    this.#restoredAfresh = [];
    return ids;
  }

  /**
   * Restores series state from a checkpoint. A series without a per-series config resumes under
   * the model version its checkpoint recorded, so the entries replayed after the checkpoint are
   * scored as they were before; where `setModels` was already called and assigns another version
   * (or none), the series then switches as `setModels` does, closing its open run through `out`.
   */
  restore(states: Map<number, string>, out?: EngineOutput): void {
    const restored: number[] = [];
    for (const [id, text] of states) {
      if (this.#deleted.has(id)) continue;
      const s = JSON.parse(text) as SerializedTask;
      const fromModel = !this.#overrides.has(id) && s.model !== undefined && s.config !== undefined;
      const config = fromModel ? s.config! : this.#assignedConfig(id);
      // A state written under another pipeline (config changed since) is not restorable: the
      // pipeline starts fresh (Pipelines.create), and buckets kept under another resampling are
      // dropped with it.
      const pipeline = this.#create(config, id, s.pipeline ?? s.detector);
      const same =
        s.pipeline !== undefined
          ? s.pipeline.hash === pipeline.hash
          : s.detector?.detector === pipeline.declaration.detector.name;
      const buckets = same && sameResample(s.buckets?.resample, config) ? s.buckets?.open : undefined;
      const task = this.#newTask(id, config, pipeline, buckets);
      // A restored pipeline has learnt its series' past; one started afresh here has not, and
      // awaits a warm start like one rebuilt by setConfig (its replayed points are kept for it).
      task.fresh = !same;
      if (!same) {
        task.live = this.#awaitPrime();
        this.#restoredAfresh.push(id);
      }
      task.model = fromModel ? s.model : this.#modelOf(id);
      if (fromModel && s.modelFrom !== undefined) task.modelFrom = s.modelFrom;
      task.run = s.run;
      for (const ts of s.recent) accept(task, ts);
      task.lastTs = s.lastTs;
      if (this.#tasks[id] === undefined) this.#count++;
      this.#tasks[id] = task;
      restored.push(id);
    }
    if (this.#modelsKnown) this.#reconcileModels(restored, out);
  }

  #trackRun(seriesId: number, task: SeriesTask, p: ScoredPoint, out: EngineOutput): void {
    if (!p.anomalous) {
      this.#closeRun(task, out);
      return;
    }
    const run = task.run;
    if (run === null) {
      task.run = {
        seriesId,
        start: p.ts,
        end: p.ts,
        peakScore: p.score,
        peakValue: p.value,
        peakExpected: p.expected,
        direction: directionOf(p),
        points: 1,
        detector: pipelineLabel(task.config.pipeline),
        open: true,
      };
      if (task.model !== undefined) task.run.model = task.model;
      out.anomaly({ ...task.run });
      return;
    }
    run.end = p.ts;
    run.points++;
    if (p.score > run.peakScore) {
      run.peakScore = p.score;
      run.peakValue = p.value;
      run.peakExpected = p.expected;
      run.direction = directionOf(p);
    }
    out.anomaly({ ...run });
  }

  #closeRun(task: SeriesTask, out: EngineOutput): void {
    if (task.run === null) return;
    task.run.open = false;
    out.anomaly({ ...task.run });
    task.run = null;
  }
}

function keepLive(live: LiveSincePipeline, ts: number, value: number, max: number): void {
  if (live.overflow) return;
  if (live.ts.length >= max) {
    live.overflow = true;
    live.ts = [];
    live.values = [];
    return;
  }
  live.ts.push(ts);
  live.values.push(value);
}

function sameResample(stored: Resample | undefined, now: SeriesConfig): boolean {
  return (
    stored !== undefined &&
    now.resample !== undefined &&
    stored.intervalMs === now.resample.intervalMs &&
    stored.aggregate === now.resample.aggregate
  );
}

function directionOf(p: ScoredPoint): Anomaly['direction'] {
  if (Number.isNaN(p.expected)) return 'unknown';
  return p.value >= p.expected ? 'up' : 'down';
}
