/**
 * The model registry and experiment tracking, as `vigil train` and the detectors use them
 * (core/models/model.ts says what a model is). Two adapters hold to one contract suite: MLflow
 * over its REST API (scaled out: `models.registry: "mlflow"`) and a file registry under the data
 * dir (embedded: `"files"`). Semantics follow MLflow's registry:
 *
 * - a registered model has versions "1", "2", … in creation order, never reused;
 * - a version's artifact is a model directory (files by relative path; `model.json` required);
 * - an alias (`production`) points at one version of its model; moving it is one atomic step;
 * - tags are string key/values on a version (`candidate`, the training's figures);
 * - tracking: an experiment (by name, created on first use) holds runs, which hold params,
 *   metrics (with timestamp and step) and artifacts.
 *
 * Errors: an unknown model, version or alias is VIGIL_ERR_UNKNOWN_MODEL (`byAlias` returns
 * undefined instead: "no production version yet" is normal); a bad name or artifact is
 * VIGIL_ERR_BAD_MODEL naming the path; the registry unreachable is VIGIL_ERR_UNAVAILABLE (retriable).
 */

export interface ModelVersion {
  name: string;
  /** "1", "2", … (MLflow's numbering, as a string in both adapters). */
  version: string;
  /** Epoch ms. */
  createdAt: number;
  /** The tracking run that produced it, when one did. */
  runId?: string;
  tags: Record<string, string>;
  /** The aliases pointing at it now. */
  aliases: string[];
  /** Where its artifact lives, for people: an `mlflow-artifacts:` URI or a path under the data dir. */
  source: string;
}

/** A tracking run, as startRun returns it. */
export interface TrackingRun {
  id: string;
  experimentId: string;
}

export interface MetricPoint {
  /** Epoch ms; default now. */
  timestamp?: number;
  step?: number;
}

export interface ModelRegistry {
  /** What it is, for logs and errors: `mlflow http://127.0.0.1:5000` or `files /data/models`. */
  readonly description: string;

  // Tracking
  /** A new run in `experiment` (created when missing), status RUNNING. */
  startRun(experiment: string, runName: string, tags?: Record<string, string>): Promise<TrackingRun>;
  logParams(run: TrackingRun, params: Record<string, string>): Promise<void>;
  logMetrics(run: TrackingRun, metrics: Record<string, number>, at?: MetricPoint): Promise<void>;
  /** One file under the run's artifacts, at a relative path (`pipeline.json`, `plots/backtest.svg`). */
  logArtifact(run: TrackingRun, path: string, bytes: Uint8Array): Promise<void>;
  endRun(run: TrackingRun, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void>;

  // Registry
  /**
   * Registers a new version of `name` (the model created when missing) whose artifact is `files`
   * (must hold a valid `model.json` whose name is `name`, else VIGIL_ERR_BAD_MODEL). With `run`,
   * the files are also the run's artifacts under `model/` and the version records the run.
   */
  createVersion(
    name: string,
    files: ReadonlyMap<string, Uint8Array>,
    opts?: { run?: TrackingRun; tags?: Record<string, string>; description?: string },
  ): Promise<ModelVersion>;
  /** Registered model names, sorted. */
  models(): Promise<string[]>;
  /** Versions of `name`, oldest first; VIGIL_ERR_UNKNOWN_MODEL when the model does not exist. */
  versions(name: string): Promise<ModelVersion[]>;
  /** One version; VIGIL_ERR_UNKNOWN_MODEL when the model or version does not exist. */
  version(name: string, version: string): Promise<ModelVersion>;
  /** The version `alias` points at, or undefined when the alias is not set (or the model does not exist). */
  byAlias(name: string, alias: string): Promise<ModelVersion | undefined>;
  /** Points `alias` at `version` (which must exist: VIGIL_ERR_UNKNOWN_MODEL otherwise). */
  setAlias(name: string, alias: string, version: string): Promise<void>;
  /** Removes `alias` (absent: nothing to do); VIGIL_ERR_UNKNOWN_MODEL when the model does not exist. */
  deleteAlias(name: string, alias: string): Promise<void>;
  setVersionTag(name: string, version: string, key: string, value: string): Promise<void>;
  /**
   * The artifact's files by relative path (the directory createVersion was given). A model.json
   * that is missing, corrupt or names another model is VIGIL_ERR_BAD_MODEL naming its path or URI.
   */
  files(name: string, version: string): Promise<Map<string, Uint8Array>>;

  close(): Promise<void>;
}
