/**
 * A series' detection config: its pipeline declaration and optional resampling. The default comes
 * from the config file (`engine.pipeline`, or `engine.detector` naming a preset or a detector);
 * per-series configs come from the API and are stored. The form before pipelines,
 * `{"detector": "ewma", "params": {…}, "threshold": 0.999}`, is still accepted and translated.
 */
import type { PipelineDeclaration } from './pipeline/declaration.ts';
import type { Pipelines } from './pipeline/pipelines.ts';
import { PRESETS } from './pipeline/presets.ts';
import { badPipeline } from './pipeline/stage.ts';
import { checkResample, type Resample } from './resample.ts';

export interface SeriesConfig {
  /** Resolved (defaults filled in) when set through the API or config; may be a legacy translation when read from an old store row. */
  pipeline: PipelineDeclaration;
  /** Score the series resampled to fixed buckets (see resample.ts); absent: every point. */
  resample?: Resample;
}

/** The stored and accepted form before pipelines: a detector by name, its params, a threshold. */
export interface LegacySeriesConfig {
  detector: string;
  params?: Record<string, unknown>;
  threshold?: number;
}

/**
 * A per-series change as the API takes it: a whole `pipeline`, or the legacy shorthand (`detector`
 * naming a preset or a detector, `params` for its detector stage, `threshold`); `resample: null`
 * turns resampling off.
 */
export interface SeriesConfigChange {
  pipeline?: PipelineDeclaration;
  detector?: string;
  params?: Record<string, unknown>;
  threshold?: number;
  resample?: Resample | null;
}

/**
 * The pipeline a legacy config means: the preset or the detector's default pipeline, its detector
 * params merged with `params` and `threshold` in place of the recommended one. Pure (no catalogue
 * needed), so store adapters can translate rows they read; resolving checks it.
 */
export function pipelineOfLegacy(legacy: LegacySeriesConfig): PipelineDeclaration {
  const preset = PRESETS.get(legacy.detector);
  const base: PipelineDeclaration = preset ?? { name: legacy.detector, detector: { name: legacy.detector } };
  return {
    ...base,
    detector: { name: base.detector.name, params: { ...base.detector.params, ...legacy.params } },
    ...(legacy.threshold !== undefined ? { threshold: legacy.threshold } : {}),
  };
}

/** The name a pipeline is known by: its label (a preset's name), else its detector's. */
export function pipelineLabel(p: PipelineDeclaration): string {
  return p.name ?? p.detector.name;
}

/** The default config of every series: `engine.pipeline` if given, else what `engine.detector` names. */
export function defaultSeriesConfig(
  pipelines: Pipelines,
  engine: {
    detector: string;
    params?: Record<string, unknown>;
    threshold?: number;
    pipeline?: unknown;
    resample?: Resample;
  },
): SeriesConfig {
  if (engine.pipeline !== undefined) {
    // The shorthand beside a pipeline would be ignored: say so rather than guess which one wins.
    const mixed =
      engine.threshold !== undefined
        ? 'threshold'
        : Object.keys(engine.params ?? {}).length > 0
          ? 'params'
          : undefined;
    if (mixed !== undefined) {
      throw badPipeline(
        `engine.${mixed}: set it in engine.pipeline, which replaces the shorthand`,
        `engine.${mixed}`,
      );
    }
  }
  const pipeline =
    engine.pipeline !== undefined
      ? pipelines.resolve(engine.pipeline, 'engine.pipeline')
      : resolveLegacy(pipelines, engine.detector, engine.params ?? {}, engine.threshold, 'engine.');
  return { pipeline, ...(engine.resample !== undefined ? { resample: { ...engine.resample } } : {}) };
}

/**
 * `change` over `current` (the API's PUT): a `pipeline` replaces the pipeline; with the shorthand,
 * params merge unless the detector changes (then they start from the new one's defaults), a new
 * detector brings its recommended threshold unless one is given, and resampling stays unless given
 * (null removes it). Everything is validated before anything is returned; errors name the field.
 */
export function mergeSeriesConfig(
  pipelines: Pipelines,
  current: SeriesConfig,
  change: SeriesConfigChange,
  allowedLatenessMs: number,
): SeriesConfig {
  const resample = change.resample === undefined ? current.resample : (change.resample ?? undefined);
  if (resample !== undefined) checkResample(resample, allowedLatenessMs);
  let pipeline: PipelineDeclaration;
  if (change.pipeline !== undefined) {
    const mixed = (['detector', 'params', 'threshold'] as const).find((k) => change[k] !== undefined);
    if (mixed !== undefined) {
      throw badPipeline(`${mixed}: give either a pipeline or detector/params/threshold, not both`, mixed);
    }
    pipeline = pipelines.resolve(change.pipeline, 'pipeline');
  } else {
    const name = change.detector ?? pipelineLabel(current.pipeline);
    const same = name === pipelineLabel(current.pipeline);
    const base = same ? pipelines.resolve(current.pipeline) : pipelines.named(name, 'detector');
    const params = { ...base.detector.params, ...(change.params ?? {}) };
    pipeline = withParams(pipelines, base, params, change.threshold ?? base.threshold);
  }
  return {
    pipeline,
    ...(resample !== undefined
      ? { resample: { intervalMs: resample.intervalMs, aggregate: resample.aggregate } }
      : {}),
  };
}

function resolveLegacy(
  pipelines: Pipelines,
  name: string,
  params: Record<string, unknown>,
  threshold: number | undefined,
  at: string,
): PipelineDeclaration {
  const base = pipelines.named(name, `${at}detector`);
  return withParams(pipelines, base, { ...base.detector.params, ...params }, threshold ?? base.threshold, at);
}

/** `base` with its detector's params and threshold replaced; param errors name `<at>params.<field>`. */
function withParams(
  pipelines: Pipelines,
  base: PipelineDeclaration,
  params: Record<string, unknown>,
  threshold: number | undefined,
  at = '',
): PipelineDeclaration {
  try {
    return pipelines.resolve({
      ...base,
      detector: { name: base.detector.name, params },
      ...(threshold !== undefined ? { threshold } : {}),
    });
  } catch (err) {
    // The shorthand's fields are `params` and `threshold`, not the declaration's paths.
    if (err instanceof Error && /^detector\.params\b|^threshold\b/.test(err.message)) {
      const message = `${at}${err.message.replace(/^detector\.params/, 'params')}`;
      throw badPipeline(message, message.slice(0, message.indexOf(':')));
    }
    throw err;
  }
}
