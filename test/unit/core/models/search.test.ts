/** The candidate space: fixed candidates first, deterministic order, budget, dedup by hash, families. */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import { candidates, familiesOf, variationsOf } from '../../../../src/core/models/search.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';
import { PRESETS } from '../../../../src/core/pipeline/presets.ts';

const pipelines = pipelinesOf(builtinDetectors());
const engineDefault = pipelines.resolve(PRESETS.get('default'));

describe('candidates', () => {
  it('puts production and the engine default first, then one candidate per family before any variation', () => {
    const production = pipelines.resolve({ detector: { name: 'ewma', params: { alpha: 0.05 } } });
    const list = candidates(pipelines, { budget: 8, production, engineDefault });
    expect(list).toHaveLength(8);
    expect(list[0]).toMatchObject({ index: 0, origin: 'production', pipeline: production });
    expect(list[1]).toMatchObject({ index: 1, origin: 'default', family: 'vigil' });
    // The search starts with each family's own declaration; `vigil` equals the default and appears once.
    expect(list.slice(2).map((c) => c.family)).toEqual([
      'fast',
      'vigil2',
      'ensemble',
      'windowed-gaussian',
      'seasonal',
      'artime',
    ]);
    expect(new Set(list.map((c) => c.hash)).size).toBe(list.length);
  });

  it('is deterministic and a larger budget extends a smaller one', () => {
    const a = candidates(pipelines, { budget: 40, engineDefault });
    const b = candidates(pipelines, { budget: 40, engineDefault });
    const c = candidates(pipelines, { budget: 10, engineDefault });
    expect(a.map((x) => x.hash)).toEqual(b.map((x) => x.hash));
    expect(a.slice(0, 10).map((x) => x.hash)).toEqual(c.map((x) => x.hash));
  });

  it('keeps the fixed candidates past a budget of 1', () => {
    const production = pipelines.resolve({ detector: { name: 'robust-z' } });
    const list = candidates(pipelines, { budget: 1, production, engineDefault });
    expect(list.map((c) => c.origin)).toEqual(['production', 'default']);
  });

  it('searches only the families asked for, and refuses an unknown one by name', () => {
    const list = candidates(pipelines, { budget: 6, engineDefault, families: ['ewma'] });
    expect(list.slice(1).every((c) => c.pipeline.detector.name === 'ewma')).toBe(true);
    expect(list).toHaveLength(6);
    expect(() => familiesOf(pipelines, ['nope'])).toThrow(/families: unknown detector "nope"/);
  });

  it("varies thresholds and adds post-rules in front of the family's own (the feedback stage stays last)", () => {
    const fast = pipelines.named('fast');
    const v = variationsOf('fast', fast);
    expect(v[0]).toBe(fast);
    expect(v.length).toBeGreaterThan(5);
    for (const d of v.slice(1)) {
      const resolved = pipelines.resolve(d);
      expect(resolved.detector).toEqual(fast.detector);
      expect(resolved.postRules.at(-1)?.name).toBe('feedback');
      expect(d.name).toMatch(/^fast\//);
    }
    // A raw-scale family scales its own threshold instead of using the calibrated grid.
    const artime = variationsOf('artime', pipelines.named('artime'));
    expect(artime.map((d) => d.threshold).slice(0, 3)).toEqual([0.57, 0.712, 0.456]);
    // A variation keeps its family's afterglow, the default one and one turned off alike.
    expect(artime.every((d) => pipelines.resolve(d).afterglow?.level === 0.5)).toBe(true);
    const off = pipelines.resolve({ detector: { name: 'ewma' }, afterglow: { level: 0 } });
    const offs = variationsOf('ewma', off).map((d) => pipelines.resolve(d).afterglow);
    expect(offs.every((g) => g?.level === 0)).toBe(true);
  });
});
