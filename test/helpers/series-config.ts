/**
 * Series configs for tests that want a detector's raw score against a fixed threshold (the form
 * before pipelines): the detector, no calibration, the threshold, no post-rules.
 */
import type { Resample } from '../../src/core/resample.ts';
import type { SeriesConfig } from '../../src/core/series-config.ts';

export function rawConfig(
  detector: string,
  params: Record<string, unknown>,
  threshold: number,
  resample?: Resample,
): SeriesConfig {
  return {
    pipeline: {
      name: detector,
      detector: { name: detector, params },
      calibration: { name: 'none' },
      threshold,
      postRules: [],
    },
    ...(resample !== undefined ? { resample } : {}),
  };
}
