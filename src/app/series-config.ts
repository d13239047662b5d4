/**
 * Series configuration as every composition root derives it: the defaults from the config file,
 * and a per-series change merged onto the current config (the API's PUT semantics). The rules are
 * core's (core/series-config.ts); this binds them to the registry the root built.
 */
import type { Config } from '../config/schema.ts';
import type { DetectorRegistry } from '../core/detectors/registry.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import * as core from '../core/series-config.ts';
import type { SeriesConfig, SeriesConfigChange } from '../ports/meta-store.ts';

export function defaultSeriesConfig(config: Readonly<Config>, registry: DetectorRegistry): SeriesConfig {
  return core.defaultSeriesConfig(pipelinesOf(registry), config.engine);
}

/** `partial` over `current`, validated (see core/series-config.ts); errors name the field. */
export function mergeSeriesConfig(
  registry: DetectorRegistry,
  current: SeriesConfig,
  partial: SeriesConfigChange,
  allowedLatenessMs: number,
): SeriesConfig {
  return core.mergeSeriesConfig(pipelinesOf(registry), current, partial, allowedLatenessMs);
}
