import { describe, expect, it } from 'vitest';
import { QueryService, type QueryServiceDeps } from '../../../src/app/query-service.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import type { SeriesConfig } from '../../../src/ports/meta-store.ts';

/** A config as a version before afterglows stored it: resolved, with no `afterglow` key. */
const stored: SeriesConfig = {
  pipeline: {
    detector: { name: 'ewma', params: { alpha: 0.05, bandSigmas: 3.5, warmup: 20, minStd: 1e-9 } },
    calibration: { name: 'lite-likelihood' },
    threshold: 0.5,
    postRules: [],
  },
};

function service(config: SeriesConfig): QueryService {
  const configs = { configOf: async () => config, store: async () => {} };
  // Only the config side is exercised; the other stores are never reached.
  return new QueryService({
    configs,
    registry: builtinDetectors(),
    allowedLatenessMs: 0,
  } as unknown as QueryServiceDeps);
}

describe('a series config as the API shows it', () => {
  it('is resolved by this version: a config stored before a default existed shows it, as the engine runs it', async () => {
    const c = await service(stored).getConfig(1);
    expect(c.pipeline.afterglow).toEqual({ level: 0.5, tau: 100 });
    expect(c.pipeline.calibration).toMatchObject({ name: 'lite-likelihood', horizon: 4000 });
    expect(c.pipeline.detector).toEqual(stored.pipeline.detector);
  });

  it('is shown as stored when it no longer resolves (a detector since removed)', async () => {
    const gone: SeriesConfig = { pipeline: { detector: { name: 'retired-detector' } } };
    expect(await service(gone).getConfig(1)).toEqual(gone);
  });
});
