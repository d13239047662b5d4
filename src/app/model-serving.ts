/**
 * Served models in a detector process (the embedded server, each `vigil detector`), wired from
 * the config: the model poll (./model-poll.ts) over the registry `models.registry` names, or the
 * one directory `models.path` (MODEL_PATH) names; its logs; its metrics (docs/metrics.md); the
 * live metrics per model version to the registry's tracking (./model-live-metrics.ts). See
 * docs/models.md, "Serving and hot reload".
 */
import { hostname } from 'node:os';
import { Gauge, type Registry } from 'prom-client';
import { readModelDir } from '../adapters/model-files/index.ts';
import type { Config } from '../config/schema.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import { MODEL_FILE } from '../core/models/model.ts';
import { type ModelAssignment, modelLabel } from '../core/models/serving.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import type { Tags } from '../core/series.ts';
import type { ModelRunStats } from '../engine/engine.ts';
import type { ModelRegistry } from '../ports/model-registry.ts';
import { readCounter, readGauge } from './metrics.ts';
import { LiveModelMetrics } from './model-live-metrics.ts';
import { type LoadedModel, ModelPoll, servedModel } from './model-poll.ts';
import { openModelRegistry } from './model-registry.ts';

/** The logger slice this writes to (pino's). */
export interface ModelServingLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ModelServingDeps {
  detectors: DetectorRegistry;
  seriesCount(): Promise<number>;
  series(): Promise<Iterable<{ id: number; metric: string; tags: Tags }>>;
  /**
   * Hands the assignments to the engine(s) (`keep`: see Engine.setModels); resolves with the
   * series that switched version.
   */
  apply(assignments: Map<number, ModelAssignment>, keep: string[]): Promise<number[]>;
  /** Warm start of series that switched version (`models.warmStartPoints` > 0). */
  warmStart?(seriesIds: number[]): Promise<void>;
  /** Per model version running in this process, for the live metrics. */
  stats(): Promise<Map<string, ModelRunStats>>;
  log: ModelServingLog;
  /** Where the metrics go (the process's /metrics). */
  metrics: Registry;
  /** `embedded` or `detector` (live metrics' tags). */
  role: string;
}

export interface ModelServing {
  poll: ModelPoll;
  /** The registry read (absent under `models.path`). */
  registry?: ModelRegistry;
  live?: LiveModelMetrics;
  close(): Promise<void>;
}

/**
 * Starts serving models: under `models.path`, the directory is loaded now (a missing or corrupt
 * one fails the start with VIGIL_ERR_BAD_MODEL naming its path); else the registry is opened and
 * its first round runs now (an unreachable registry is logged and retried, never fatal). Resolves
 * once the first assignments, if any, are applied: call it before the engine recovers, so that
 * replayed points are scored by the served versions.
 */
export async function startModelServing(
  config: Readonly<Config>,
  deps: ModelServingDeps,
): Promise<ModelServing> {
  const pipelines = pipelinesOf(deps.detectors);
  const { log } = deps;
  let registry: ModelRegistry | undefined;
  let source: ConstructorParameters<typeof ModelPoll>[0]['source'];
  if (config.models.path !== undefined) {
    const dir = await readModelDir(config.models.path);
    const where = `${config.models.path.replace(/\/+$/, '')}/${MODEL_FILE}`;
    // An exported directory has no registry version: it is named by its path.
    const ref = { name: dir.spec.name, version: `path:${config.models.path}` };
    const model = servedModel(dir.spec, ref, where, pipelines, Date.now());
    log.info(
      { model: modelLabel(ref), source: where },
      'serving the model of models.path; the registry is not read',
    );
    source = { kind: 'fixed', models: [model] };
  } else {
    registry = await openModelRegistry(config);
    source = { kind: 'registry', registry, serve: config.models.serve };
  }
  const warm = config.models.warmStartPoints > 0 ? deps.warmStart : undefined;
  const poll = new ModelPoll({
    source,
    pipelines,
    seriesCount: deps.seriesCount,
    series: deps.series,
    apply: async (assignments, keep) => {
      const switched = await deps.apply(assignments, keep);
      if (switched.length > 0) {
        log.info({ series: switched.length }, 'series switched model version');
        if (warm !== undefined) await warm(switched);
      }
    },
    events: {
      loaded: (m: LoadedModel, previous) =>
        log.info(
          {
            model: m.ref.name,
            version: m.ref.version,
            ...(previous !== undefined ? { previous: previous.version } : {}),
            source: m.source,
          },
          'model version loaded',
        ),
      refused: (ref, err) =>
        log.error(
          { model: ref.name, version: ref.version, err },
          'model version refused; the loaded version keeps serving',
        ),
      unserved: (ref) =>
        log.info(
          { model: ref.name, version: ref.version },
          'model has no production version; its series run the default',
        ),
      unavailable: (err) =>
        log.warn(
          { registry: registry?.description, err },
          'model registry unreachable; the loaded versions keep serving, retrying every models.pollMs',
        ),
      recovered: () => log.info({ registry: registry?.description }, 'model registry reachable again'),
      failed: (err) => log.warn({ err }, 'applying served models failed; will retry'),
    },
    now: Date.now,
  });
  registerModelMetrics(deps.metrics, poll);
  await poll.start(config.models.pollMs);
  let live: LiveModelMetrics | undefined;
  if (registry !== undefined) {
    live = new LiveModelMetrics({
      registry,
      experiment: config.models.experiment,
      role: deps.role,
      host: `${hostname()}:${process.pid}`,
      stats: deps.stats,
      now: Date.now,
      failed: (err) => log.warn({ err }, 'logging live model metrics failed; the next interval retries'),
    });
    live.start(config.models.liveMetricsMs);
  }
  return {
    poll,
    ...(registry !== undefined ? { registry } : {}),
    ...(live !== undefined ? { live } : {}),
    close: async () => {
      await poll.stop();
      await live?.stop();
      await registry?.close();
    },
  };
}

/** The served-model metrics (docs/metrics.md), read from the poll at scrape time. */
function registerModelMetrics(registry: Registry, poll: ModelPoll): void {
  new Gauge({
    name: 'vigil_model_loaded_info',
    help: 'Model versions this detector serves now (value 1), by model and version.',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of poll.loaded) this.set({ model: m.ref.name, version: m.ref.version }, 1);
    },
  });
  const counter = (name: string, help: string, read: () => number) => readCounter(registry, name, help, read);
  counter(
    'vigil_model_reloads_total',
    'Model versions loaded to serve (the first of each model included).',
    () => poll.stats.reloads,
  );
  counter(
    'vigil_model_load_failures_total',
    'Model versions refused: a corrupt or invalid model.json (logged with its path).',
    () => poll.stats.loadFailures,
  );
  counter(
    'vigil_model_registry_errors_total',
    'Polls that could not read the model registry (the loaded versions kept serving).',
    () => poll.stats.registryErrors,
  );
  readGauge(
    registry,
    'vigil_model_last_switch_timestamp_seconds',
    'When what this detector serves last changed (a version loaded or unserved); 0: never.',
    () => poll.stats.lastSwitchMs / 1000,
  );
}
