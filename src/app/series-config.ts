/**
 * Detector configuration as every composition root derives it: the defaults from the config file,
 * and a per-series change merged onto the current config (the API's PUT semantics).
 */
import type { Config } from '../config/schema.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import { checkResample } from '../core/resample.ts';
import type { SeriesConfig, SeriesConfigChange } from '../ports/meta-store.ts';

export function defaultSeriesConfig(config: Readonly<Config>, registry: DetectorRegistry): SeriesConfig {
  const resample = config.engine.resample;
  return {
    detector: config.engine.detector,
    params: registry.resolveParams(config.engine.detector, config.engine.params),
    threshold: config.engine.threshold ?? registry.thresholdOf(config.engine.detector),
    ...(resample !== undefined ? { resample: { ...resample } } : {}),
  };
}

/**
 * `partial` over `current`: params merge unless the detector changes (then they start from the new
 * detector's defaults), a new detector brings its own recommended threshold unless one is given,
 * and resampling stays unless given (null removes it). Resampling is checked against the lateness.
 */
export function mergeSeriesConfig(
  registry: DetectorRegistry,
  current: SeriesConfig,
  partial: SeriesConfigChange,
  allowedLatenessMs: number,
): SeriesConfig {
  const detector = partial.detector ?? current.detector;
  const same = detector === current.detector;
  const resample = partial.resample === undefined ? current.resample : (partial.resample ?? undefined);
  if (resample !== undefined) checkResample(resample, allowedLatenessMs);
  return {
    detector,
    params: registry.resolveParams(detector, { ...(same ? current.params : {}), ...(partial.params ?? {}) }),
    threshold: partial.threshold ?? (same ? current.threshold : registry.thresholdOf(detector)),
    ...(resample !== undefined
      ? { resample: { intervalMs: resample.intervalMs, aggregate: resample.aggregate } }
      : {}),
  };
}
