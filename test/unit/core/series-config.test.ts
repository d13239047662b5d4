import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { pipelinesOf } from '../../../src/core/pipeline/pipelines.ts';
import {
  defaultSeriesConfig,
  mergeSeriesConfig,
  pipelineOfLegacy,
  type SeriesConfig,
} from '../../../src/core/series-config.ts';

const pipelines = pipelinesOf(builtinDetectors());

describe('series configs', () => {
  it('translate the form before pipelines into the declaration it meant', () => {
    expect(pipelineOfLegacy({ detector: 'ewma', params: { alpha: 0.1 }, threshold: 0.999 })).toEqual({
      name: 'ewma',
      detector: { name: 'ewma', params: { alpha: 0.1 } },
      threshold: 0.999,
    });
    const vigil = pipelines.resolve(pipelineOfLegacy({ detector: 'vigil', params: { tierWeight: 0 } }));
    expect(vigil).toMatchObject({
      name: 'vigil',
      detector: { name: 'vigil-events', params: { tierWeight: 0 } },
    });
    expect(vigil.threshold).toBe(0.5);
    expect(pipelines.resolve(pipelineOfLegacy({ detector: 'default' }))).toEqual(pipelines.named('vigil'));
  });

  it('default to engine.pipeline when given, else to what engine.detector names', () => {
    const named = defaultSeriesConfig(pipelines, { detector: 'fast', params: {}, threshold: 0.6 });
    expect(named.pipeline).toMatchObject({ name: 'fast', threshold: 0.6 });
    const declared = defaultSeriesConfig(pipelines, {
      detector: 'fast',
      pipeline: { detector: { name: 'ewma' } },
      resample: { intervalMs: 1000, aggregate: 'mean' },
    });
    expect(declared.pipeline).toMatchObject({
      detector: { name: 'ewma' },
      calibration: { name: 'lite-likelihood' },
    });
    expect(declared.resample).toEqual({ intervalMs: 1000, aggregate: 'mean' });
  });

  it('merge a change as PUT does: params merge for the same detector, a new one starts from its defaults', () => {
    const current: SeriesConfig = { pipeline: pipelines.named('ewma') };
    const tuned = mergeSeriesConfig(pipelines, current, { params: { alpha: 0.3 }, threshold: 0.8 }, 60_000);
    expect(tuned.pipeline).toMatchObject({
      name: 'ewma',
      detector: { params: { alpha: 0.3 } },
      threshold: 0.8,
    });
    const again = mergeSeriesConfig(pipelines, tuned, { params: { warmup: 3 } }, 60_000);
    expect(again.pipeline).toMatchObject({ detector: { params: { alpha: 0.3, warmup: 3 } }, threshold: 0.8 });
    const other = mergeSeriesConfig(pipelines, again, { detector: 'fast' }, 60_000);
    expect(other.pipeline).toEqual(pipelines.named('fast'));
    const declared = mergeSeriesConfig(
      pipelines,
      { ...other, resample: { intervalMs: 1000, aggregate: 'max' } },
      { pipeline: { detector: { name: 'robust-z' }, postRules: [{ name: 'minDuration', points: 2 }] } },
      60_000,
    );
    expect(declared.pipeline.postRules).toEqual([{ name: 'minDuration', points: 2 }]);
    expect(declared.resample).toEqual({ intervalMs: 1000, aggregate: 'max' });
    expect(mergeSeriesConfig(pipelines, declared, { resample: null }, 60_000).resample).toBeUndefined();
  });

  it('refuse a pipeline mixed with the shorthand, and shorthand errors name the shorthand field', () => {
    const current: SeriesConfig = { pipeline: pipelines.named('ewma') };
    expect(() =>
      mergeSeriesConfig(pipelines, current, { pipeline: { detector: { name: 'ewma' } }, params: {} }, 0),
    ).toThrow(/^params: give either a pipeline/);
    expect(() => mergeSeriesConfig(pipelines, current, { params: { alpha: 7 } }, 0)).toThrow(
      /^params\.alpha: must be <= 1/,
    );
    expect(() => mergeSeriesConfig(pipelines, current, { detector: 'likelihood' }, 0)).toThrow(
      /^detector: unknown detector "likelihood"/,
    );
  });
});
