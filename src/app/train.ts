/**
 * `vigil train` as a composition: read the history of the selected series and their feedback
 * labels (a TrainingHistory), backtest the candidates (./training.ts), log each as a tracking run,
 * register the winner as a new version of the model, and move the `production` alias to it only
 * when it beats the production version on the same backtest (else tag it `candidate`).
 *
 * Tracking layout (MLflow or the files registry, one experiment, `models.experiment`): a parent
 * run `<model>-train` with the training's params, the winner's and production's scores and
 * `report.json`; one child run per candidate, `<model>-c000` …, tagged `mlflow.parentRunId`, with
 * the pipeline flattened as params, the objective and its figures as metrics, and `pipeline.json`
 * and `backtest.svg` as artifacts. The winner's run also holds the version's files (`model/`).
 */
import { VigilError } from '../core/errors.ts';
import type { TrainingSeries } from '../core/models/backtest.ts';
import { backtestSvg } from '../core/models/backtest-plot.ts';
import {
  CANDIDATE_TAG,
  checkModelName,
  decodeModelSpec,
  encodeModelSpec,
  MODEL_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelSpec,
  PRODUCTION_ALIAS,
  type TrainingReport,
} from '../core/models/model.ts';
import { labelOf } from '../core/models/search.ts';
import type { PipelineDeclaration } from '../core/pipeline/declaration.ts';
import { parseSelector } from '../core/selector.ts';
import type { ModelRegistry, ModelVersion, TrackingRun } from '../ports/model-registry.ts';
import type { TrainingHistory } from '../ports/training-history.ts';
import { type CandidateResult, type TrainResult, train } from './training.ts';

export interface TrainRunOptions {
  model: string;
  /** The series to train on; default: the selector of the model's production (else newest) version. */
  selector?: string;
  /** History range [from, to), epoch ms. */
  from: number;
  to: number;
  budget: number;
  families?: readonly string[];
  targetAlertsPerDay?: number;
  workers?: number;
  /** More pipelines to evaluate: `model@alias` or `model/version` of registered models. */
  candidateFrom?: readonly string[];
  /** The tracking experiment (`models.experiment`). */
  experiment: string;
  /** Most series a training reads (more: VIGIL_ERR_QUERY_LIMIT). */
  maxSeries: number;
  engineDefault: PipelineDeclaration;
  allowedLatenessMs?: number;
  /** The time, for the report (epoch ms). */
  now: number;
  /** Human-readable progress lines (stderr). */
  log?: (line: string) => void;
  onProgress?: (donePoints: number, totalPoints: number) => void;
}

export interface TrainRunResult {
  version: ModelVersion;
  promoted: boolean;
  /** The version production pointed at before, when there was one. */
  previous?: ModelVersion;
  spec: ModelSpec;
  training: TrainResult;
}

/** The files of a registered version, as `vigil train` writes them. */
export const REPORT_FILE = 'report.json';
export const PLOT_FILE = 'backtest.svg';

/** Series whose points are read at the same time. */
const HISTORY_CONCURRENCY = 4;

/** Scores closer than this are a tie (the same backtest gives bit-identical scores; this is slack for sums). */
const TIE = 1e-9;

export async function runTraining(
  deps: { history: TrainingHistory; registry: ModelRegistry },
  opts: TrainRunOptions,
): Promise<TrainRunResult> {
  const { history, registry } = deps;
  const log = opts.log ?? (() => {});
  checkModelName(opts.model);
  const previous = await registry.byAlias(opts.model, PRODUCTION_ALIAS);
  const productionSpec = previous === undefined ? undefined : await specOf(registry, previous);
  const selector = opts.selector ?? (await selectorOf(registry, opts.model, productionSpec));
  try {
    parseSelector(selector);
  } catch (err) {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', `selector: ${(err as Error).message}`, {
      location: { field: 'selector' },
      cause: err,
    });
  }
  const given = await Promise.all((opts.candidateFrom ?? []).map((ref) => pipelineOf(registry, ref)));

  const keys = await history.series(selector, opts.maxSeries);
  if (keys.length === 0) {
    throw new VigilError(
      'VIGIL_ERR_BAD_REQUEST',
      `selector: ${selector} matches no series on ${history.description}`,
      {
        location: { field: 'selector' },
      },
    );
  }
  const labels = await history.labels(selector);
  // A few series in flight at once: many small series are latency-bound, one request each.
  const series = new Array<TrainingSeries>(keys.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(HISTORY_CONCURRENCY, keys.length) }, async () => {
      while (next < keys.length) {
        const i = next++;
        const key = keys[i]!;
        const p = await history.points(key, opts.from, opts.to);
        series[i] = { key, ts: p.ts, values: p.values, labels: labels.get(key) ?? [] };
      }
    }),
  );
  const points = series.reduce((n, s) => n + s.ts.length, 0);
  if (points === 0) {
    throw new VigilError(
      'VIGIL_ERR_BAD_REQUEST',
      `no points of ${selector} in [${new Date(opts.from).toISOString()}, ${new Date(Math.min(opts.to, 8.64e15)).toISOString()})`,
      { location: { field: 'from' } },
    );
  }
  log(
    `vigil train: ${opts.model}: ${series.length} series, ${points} points, ${series.reduce((n, s) => n + s.labels.length, 0)} labels from ${history.description}`,
  );

  const parent = await registry.startRun(opts.experiment, `${opts.model}-train`, {
    'vigil.model': opts.model,
    'vigil.role': 'training',
  });
  const runs = new Map<number, TrackingRun>();
  // Tracking calls go one at a time, in completion order, so a slow registry is not flooded.
  let chain: Promise<void> = Promise.resolve();
  let training: TrainResult;
  try {
    await registry.logParams(parent, {
      model: opts.model,
      selector,
      from: String(opts.from),
      to: String(opts.to),
      budget: String(opts.budget),
      series: String(series.length),
      points: String(points),
      production_version: previous?.version ?? '',
    });
    training = await train(series, {
      budget: opts.budget,
      engineDefault: opts.engineDefault,
      ...(productionSpec !== undefined ? { production: productionSpec.pipeline } : {}),
      given,
      ...(opts.families !== undefined ? { families: opts.families } : {}),
      ...(opts.targetAlertsPerDay !== undefined ? { targetAlertsPerDay: opts.targetAlertsPerDay } : {}),
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      ...(opts.allowedLatenessMs !== undefined ? { allowedLatenessMs: opts.allowedLatenessMs } : {}),
      ...(opts.onProgress !== undefined ? { onProgress: opts.onProgress } : {}),
      onCandidate: (r) => {
        const step = chain.then(async () => {
          runs.set(r.candidate.index, await logCandidate(registry, opts, parent, series, r));
        });
        chain = step;
        return step;
      },
    });
  } catch (err) {
    await chain.catch(() => {});
    await registry.endRun(parent, 'FAILED').catch(() => {});
    throw err;
  }

  const { winner, production } = training;
  const report: TrainingReport = {
    objective: training.objective,
    score: winner.result.score,
    ...(production !== undefined ? { productionScore: production.result.score } : {}),
    candidates: training.results.length,
    series: series.length,
    points,
    labels: training.labels.used,
    from: opts.from,
    to: opts.to,
    trainedAt: opts.now,
    selector,
    winner: summary(winner),
    ...(previous !== undefined ? { productionVersion: previous.version } : {}),
    ...(opts.targetAlertsPerDay !== undefined && training.objective === 'alert-rate'
      ? { targetAlertsPerDay: opts.targetAlertsPerDay }
      : {}),
    labelsOutsideRange: training.labels.outside,
    wallSeconds: training.wallMs / 1000,
    threadSeconds: training.busyMs / 1000,
    cpuSeconds: training.cpuMs / 1000,
    workers: training.workers,
    pointsPerCpuSecond: (points * training.results.length) / Math.max(1e-9, training.cpuMs / 1000),
    ranking: [...training.results]
      .sort((a, b) => b.result.score - a.result.score || a.candidate.index - b.candidate.index)
      .slice(0, 10)
      .map(summary),
  };
  const spec: ModelSpec = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    name: opts.model,
    selector,
    pipeline: winner.candidate.pipeline,
    report,
  };
  const enc = new TextEncoder();
  const files = new Map<string, Uint8Array>([
    [MODEL_FILE, encodeModelSpec(spec)],
    [REPORT_FILE, enc.encode(`${JSON.stringify(report, null, 2)}\n`)],
    [
      PLOT_FILE,
      enc.encode(
        backtestSvg(`${opts.model}: ${labelOf(winner.candidate.pipeline)}`, series, winner.backtest),
      ),
    ],
  ]);
  const beats = production === undefined || winner.result.score > production.result.score + TIE;
  let version: ModelVersion;
  try {
    const winnerRun = runs.get(winner.candidate.index);
    version = await registry.createVersion(opts.model, files, {
      ...(winnerRun !== undefined ? { run: winnerRun } : {}),
      tags: { objective: training.objective, score: winner.result.score.toFixed(4) },
      description: `${labelOf(winner.candidate.pipeline)}: ${training.objective} ${winner.result.score.toFixed(2)}${production !== undefined ? ` (production ${production.result.score.toFixed(2)})` : ''}`,
    });
    if (beats) await registry.setAlias(opts.model, PRODUCTION_ALIAS, version.version);
    else await registry.setVersionTag(opts.model, version.version, CANDIDATE_TAG, 'true');
    await registry.logMetrics(parent, {
      score: winner.result.score,
      ...(production !== undefined ? { production_score: production.result.score } : {}),
      promoted: beats ? 1 : 0,
    });
    await registry.logArtifact(parent, REPORT_FILE, files.get(REPORT_FILE)!);
    await registry.endRun(parent, 'FINISHED');
  } catch (err) {
    await registry.endRun(parent, 'FAILED').catch(() => {});
    throw err;
  }
  return {
    version,
    promoted: beats,
    ...(previous !== undefined ? { previous } : {}),
    spec,
    training,
  };
}

function summary(r: CandidateResult): Record<string, unknown> {
  return {
    candidate: r.candidate.index,
    origin: r.candidate.origin,
    family: r.candidate.family,
    name: labelOf(r.candidate.pipeline),
    score: r.result.score,
    metrics: r.result.metrics,
  };
}

async function logCandidate(
  registry: ModelRegistry,
  opts: TrainRunOptions,
  parent: TrackingRun,
  series: readonly TrainingSeries[],
  r: CandidateResult,
): Promise<TrackingRun> {
  const name = `${opts.model}-c${String(r.candidate.index).padStart(3, '0')}`;
  const run = await registry.startRun(opts.experiment, name, {
    'mlflow.parentRunId': parent.id,
    'vigil.model': opts.model,
    'vigil.role': 'candidate',
    'vigil.origin': r.candidate.origin,
    'vigil.family': r.candidate.family,
    'vigil.pipeline_hash': r.candidate.hash,
  });
  try {
    await registry.logParams(run, flattenPipeline(r.candidate.pipeline));
    await registry.logMetrics(run, {
      objective: r.result.score,
      ...r.result.metrics,
      backtest_thread_seconds: r.busyMs / 1000,
      backtest_cpu_seconds: r.cpuMs / 1000,
    });
    const enc = new TextEncoder();
    await registry.logArtifact(
      run,
      'pipeline.json',
      enc.encode(`${JSON.stringify(r.candidate.pipeline, null, 2)}\n`),
    );
    await registry.logArtifact(
      run,
      PLOT_FILE,
      enc.encode(backtestSvg(`${name}: ${labelOf(r.candidate.pipeline)}`, series, r.backtest)),
    );
    await registry.endRun(run, 'FINISHED');
  } catch (err) {
    await registry.endRun(run, 'FAILED').catch(() => {});
    throw err;
  }
  return run;
}

/** A pipeline as tracking params: dotted paths to primitives, `detector.params.alpha` = `0.02`; arrays of objects as JSON. */
export function flattenPipeline(p: PipelineDeclaration): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (v: unknown, path: string): void => {
    if (v === undefined) return;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, path === '' ? k : `${path}.${k}`);
      return;
    }
    if (Array.isArray(v) && path !== 'postRules') {
      out[path] = JSON.stringify(v);
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        walk(x, `${path}.${i}`);
      });
      return;
    }
    out[path] = typeof v === 'string' ? v : JSON.stringify(v);
  };
  walk(p, '');
  return out;
}

async function specOf(registry: ModelRegistry, v: ModelVersion): Promise<ModelSpec> {
  const files = await registry.files(v.name, v.version);
  const bytes = files.get(MODEL_FILE);
  const where = `${v.name} version ${v.version} (${v.source})`;
  if (bytes === undefined) throw new VigilError('VIGIL_ERR_BAD_MODEL', `${where}: no ${MODEL_FILE}`);
  return decodeModelSpec(bytes, where);
}

/** The selector to train an existing model on when none is given: production's, else the newest version's. */
async function selectorOf(registry: ModelRegistry, model: string, production?: ModelSpec): Promise<string> {
  if (production !== undefined) return production.selector;
  let versions: ModelVersion[];
  try {
    versions = await registry.versions(model);
  } catch (err) {
    if (err instanceof VigilError && err.code === 'VIGIL_ERR_UNKNOWN_MODEL') {
      throw new VigilError(
        'VIGIL_ERR_UNKNOWN_MODEL',
        `unknown model "${model}" in ${registry.description}: give --selector to train a new one`,
        { cause: err },
      );
    }
    throw err;
  }
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new VigilError('VIGIL_ERR_UNKNOWN_MODEL', `model "${model}" has no versions: give --selector`);
  }
  return (await specOf(registry, newest)).selector;
}

/** The pipeline of `model@alias` or `model/version`, labelled by the reference. */
async function pipelineOf(
  registry: ModelRegistry,
  ref: string,
): Promise<{ label: string; pipeline: PipelineDeclaration }> {
  const m = /^([^@/]+)(?:@([^@/]+)|\/(\d+))$/.exec(ref);
  if (m === null) {
    throw new VigilError(
      'VIGIL_ERR_BAD_REQUEST',
      `candidate-from: "${ref}" is not model@alias or model/version (e.g. cpu@production, cpu/3)`,
      { location: { field: 'candidate-from' } },
    );
  }
  const [, model, alias, number] = m;
  checkModelName(model!, 'candidate-from');
  let v: ModelVersion | undefined;
  if (alias !== undefined) {
    v = await registry.byAlias(model!, alias);
    if (v === undefined) {
      throw new VigilError(
        'VIGIL_ERR_UNKNOWN_MODEL',
        `candidate-from: model "${model}" has no alias "${alias}" in ${registry.description} (or no such model)`,
      );
    }
  } else {
    v = await registry.version(model!, number!);
  }
  return { label: ref, pipeline: (await specOf(registry, v)).pipeline };
}
