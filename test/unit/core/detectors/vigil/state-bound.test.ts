/**
 * The default's state is bounded whatever the series' length (docs/detectors.md "State of the
 * default"): the declared bound of `vigil-events` is at most 128 KiB and holds, with the whole
 * `vigil` pipeline's, along a 200,000-point series; states written by earlier versions restore.
 */
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../../src/core/detectors/index.ts';
import { StagedArtime } from '../../../../../src/core/detectors/vigil/staged-artime.ts';
import { pipelinesOf } from '../../../../../src/core/pipeline/pipelines.ts';
import { generalStream, prng } from '../fixtures.ts';

const registry = builtinDetectors();
const pipelines = pipelinesOf(registry);
const STAGING = { shortProbation: 200, longProbation: 750, longRangeMargin: 0.5, longMaxCategories: 128 };

/** A periodic series whose shape, level and noise change every few thousand points. */
function longSeries(n: number): { ts: number[]; values: number[] } {
  const base = generalStream(n, 13);
  const u = prng(29);
  let shape = 0;
  const values = base.values.map((v, i) => {
    if (i % 5000 === 0) shape = Math.floor(u() * 4);
    const phase = (i % 60) / 60;
    const extra = [0, 30 * (phase < 0.2 ? 1 : 0), 40 * phase, 15 * Math.sin(6 * Math.PI * phase)][shape]!;
    return v + extra + 0.001 * i * (u() - 0.5);
  });
  return { ts: base.ts, values };
}

describe('the state of the default (vigil)', () => {
  it('declares a bound of at most 128 KiB', () => {
    const bound = registry.get('vigil-events').maxStateBytes!;
    expect(bound).toBeGreaterThan(0);
    expect(bound).toBeLessThanOrEqual(128 * 1024);
  });

  it('stays within the bound along a 200,000-point series', () => {
    const bound = registry.get('vigil-events').maxStateBytes!;
    const stages = pipelines.named('vigil');
    const feedback = pipelines.postRules.get('feedback', 'postRules').maxStateBytes;
    const s = longSeries(200_000);
    const p = pipelines.createNamed('vigil');
    let largest = 0;
    let categories = 0;
    for (let i = 0; i < s.values.length; i++) {
      p.step(s.ts[i]!, s.values[i]!);
      if ((i + 1) % 10_000 !== 0 && i !== 500) continue;
      const state = p.snapshot();
      const detector = JSON.stringify(state.detector).length;
      expect(detector, `at point ${i + 1}`).toBeLessThanOrEqual(bound);
      // The pipeline: the detector, `none` calibration, the feedback stage and the envelope.
      expect(JSON.stringify(state).length).toBeLessThanOrEqual(bound + 64 + feedback + 256);
      largest = Math.max(largest, detector);
      const artime = (state.detector.data as { artime: { long: { data: { dvfa: { labels: [] } } } | null } })
        .artime.long;
      categories = Math.max(categories, artime?.data.dvfa.labels.length ?? 0);
    }
    expect(stages.detector.name).toBe('vigil-events');
    // The run reached the parts that grow: ARTime's category cap and the likelihood's full history.
    expect(categories).toBe(STAGING.longMaxCategories);
    expect(largest).toBeGreaterThan(0.5 * bound);
  });

  it('restores a state that holds both ARTime instances (version 2) as the values replayed do', () => {
    const s = longSeries(1000);
    const short = registry.create('artime', { probation: 200 });
    const long = registry.create('artime', { probation: 750, rangeMargin: 0.5, maxCategories: 128 });
    const replayed = new StagedArtime(registry, STAGING);
    for (let i = 0; i < 400; i++) {
      short.step!(s.ts[i]!, s.values[i]!);
      long.step!(s.ts[i]!, s.values[i]!);
      replayed.step(s.ts[i]!, s.values[i]!);
    }
    const v2 = { staged: true, t: 400, short: short.snapshot(), long: long.snapshot() };
    const fromV2 = new StagedArtime(registry, STAGING, {}, JSON.parse(JSON.stringify(v2)));
    const fromSeen = new StagedArtime(registry, STAGING, {}, JSON.parse(JSON.stringify(replayed.toJSON())));
    expect(replayed.toJSON().seen).toBeDefined();
    // Past the handoff (750), where only the later ARTime is kept: all three hold the same state.
    for (let i = 400; i < 1000; i++) {
      const want = replayed.step(s.ts[i]!, s.values[i]!);
      expect(fromV2.step(s.ts[i]!, s.values[i]!)).toBe(want);
      expect(fromSeen.step(s.ts[i]!, s.values[i]!)).toBe(want);
    }
    const end = JSON.stringify(replayed.toJSON());
    expect(end).toContain('"dvfa"');
    expect(JSON.stringify(fromV2.toJSON())).toBe(end);
    expect(JSON.stringify(fromSeen.toJSON())).toBe(end);
  });
});
