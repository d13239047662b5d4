/**
 * Detector configuration as every composition root derives it: the defaults from the config file,
 * and a per-series change merged onto the current config (the API's PUT semantics).
 */
import type { Config } from '../config/schema.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';

export function defaultSeriesConfig(config: Readonly<Config>, registry: DetectorRegistry): SeriesConfig {
  return {
    detector: config.engine.detector,
    params: registry.resolveParams(config.engine.detector, config.engine.params),
    threshold: config.engine.threshold ?? registry.thresholdOf(config.engine.detector),
  };
}

/**
 * `partial` over `current`: params merge unless the detector changes (then they start from the new
 * detector's defaults), and a new detector brings its own recommended threshold unless one is given.
 */
export function mergeSeriesConfig(
  registry: DetectorRegistry,
  current: SeriesConfig,
  partial: Partial<SeriesConfig>,
): SeriesConfig {
  const detector = partial.detector ?? current.detector;
  const same = detector === current.detector;
  return {
    detector,
    params: registry.resolveParams(detector, { ...(same ? current.params : {}), ...(partial.params ?? {}) }),
    threshold: partial.threshold ?? (same ? current.threshold : registry.thresholdOf(detector)),
  };
}
