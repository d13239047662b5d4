/**
 * Live metrics per served model version, logged to the registry's tracking (MLflow scaled out; the
 * file registry embedded): the deployment's detector → MLflow arrow. Every `models.liveMetricsMs`
 * a detector process logs, for each model version it runs, into one tracking run per (process,
 * version) in `models.experiment` (started on first use; tags `model`, `version`, `role`, `host`):
 *
 * - `anomaly_rate`: anomalies the version opened here since the last log, per series-day (the
 *   series running it here × the wall-clock days since the last log);
 * - `anomalies_opened`, `series`: the counts behind it (opened: since this process started);
 * - `feedback_labelled`, and `feedback_precision` (labels `anomaly` / all labels on its anomalies)
 *   where at least one of its anomalies is labelled.
 *
 * Cheap: one pass over the engine's series per interval (Engine.modelStats), one registry call per
 * version. The registry unreachable: the interval's figures are skipped (logged once per outage);
 * the next interval logs again.
 */
import type { ModelRunStats } from '../engine/engine.ts';
import type { ModelRegistry, TrackingRun } from '../ports/model-registry.ts';

const DAY_MS = 86_400_000;

export interface LiveMetricsDeps {
  registry: ModelRegistry;
  experiment: string;
  /** `embedded` or `detector`, and the host, for the run's tags and name. */
  role: string;
  host: string;
  /** Per model version (`name@version`) running in this process. */
  stats(): Promise<Map<string, ModelRunStats>>;
  now(): number;
  /** Logging failed (reported once until it works again). */
  failed(err: unknown): void;
}

export class LiveModelMetrics {
  readonly #d: LiveMetricsDeps;
  readonly #runs = new Map<string, Promise<TrackingRun>>();
  /** Per version: anomalies opened and the time as of the last log. */
  readonly #last = new Map<string, { opened: number; at: number }>();
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #failing = false;
  /** Metric points logged (tests, diagnostics). */
  logged = 0;

  constructor(deps: LiveMetricsDeps) {
    this.#d = deps;
  }

  start(intervalMs: number): void {
    // The first interval starts now: rates need a previous count.
    void this.#d.stats().then(
      (stats) => this.#remember(stats),
      () => {},
    );
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  /** Logs one interval now (skipped while one is in flight). */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const stats = await this.#d.stats();
      const now = this.#d.now();
      for (const [key, s] of stats) {
        const prev = this.#last.get(key);
        const metrics: Record<string, number> = {
          anomalies_opened: s.opened,
          series: s.series,
          feedback_labelled: s.labelled,
        };
        if (s.labelled > 0) metrics.feedback_precision = s.confirmed / s.labelled;
        if (prev !== undefined && now > prev.at && s.series > 0) {
          // A restart of the counters (never here, but cheap to guard) counts from zero.
          const opened = s.opened >= prev.opened ? s.opened - prev.opened : s.opened;
          metrics.anomaly_rate = opened / (s.series * ((now - prev.at) / DAY_MS));
        }
        const run = await this.#run(key);
        await this.#d.registry.logMetrics(run, metrics, { timestamp: now });
        this.logged++;
      }
      this.#remember(stats, now);
      this.#failing = false;
    } catch (err) {
      if (!this.#failing) this.#d.failed(err);
      this.#failing = true;
    } finally {
      this.#busy = false;
    }
  }

  #remember(stats: Map<string, ModelRunStats>, at = this.#d.now()): void {
    for (const [key, s] of stats) this.#last.set(key, { opened: s.opened, at });
  }

  #run(key: string): Promise<TrackingRun> {
    let run = this.#runs.get(key);
    if (run === undefined) {
      const at = key.indexOf('@');
      const tags = {
        model: key.slice(0, at),
        version: key.slice(at + 1),
        role: this.#d.role,
        host: this.#d.host,
      };
      run = this.#d.registry.startRun(
        this.#d.experiment,
        `live ${key} ${this.#d.role} ${this.#d.host}`,
        tags,
      );
      // A failed start is tried again next interval.
      run.catch(() => this.#runs.delete(key));
      this.#runs.set(key, run);
    }
    return run;
  }

  /** Stops logging and ends the runs (FINISHED). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const run of this.#runs.values()) {
      await run.then((r) => this.#d.registry.endRun(r, 'FINISHED')).catch(() => {});
    }
  }
}
