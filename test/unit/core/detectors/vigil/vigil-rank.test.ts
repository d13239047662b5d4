/**
 * `vigil-rank` (the `vigil2` preset's detector): its bands, with scripted members standing in for
 * `vigil-events` and `discord`: the events' map, the afterglow, the shape rank and record discords.
 */
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import type { DetectorFactory } from '../../../../../src/core/detectors/index.ts';
import { builtinDetectors, DetectorRegistry } from '../../../../../src/core/detectors/index.ts';
import { vigilRank } from '../../../../../src/core/detectors/vigil/vigil-rank.ts';
import { pipelinesOf } from '../../../../../src/core/pipeline/pipelines.ts';

/** Members that emit `scripted[t]` (t = points seen, kept in their state). */
function stubs(events: number[], discord: number[]): DetectorRegistry {
  const scripted = (name: string, xs: number[]) =>
    ({
      name,
      version: 1,
      description: 'test stub',
      params: Type.Record(Type.String(), Type.Unknown()),
      defaults: {},
      create: (_p: Record<string, unknown>, state) => {
        let t = (state?.data as number | undefined) ?? 0;
        return {
          score: (_ts: number, v: number) => ({ score: xs[t] ?? 0, expected: v, lower: v - 1, upper: v + 1 }),
          update: () => {
            t++;
          },
          snapshot: () => ({ detector: name, version: 1, data: t }),
        };
      },
    }) satisfies DetectorFactory<Record<string, unknown>>;
  const r = new DetectorRegistry();
  return r
    .register(scripted('vigil-events', events))
    .register(scripted('discord', discord))
    .register(vigilRank(r));
}

const QUIET = { glowWeight: 0, shapeWeight: 0, recordWarmup: 1e9 };

function run(r: DetectorRegistry, params: Record<string, unknown>, n: number): number[] {
  const d = r.create('vigil-rank', params);
  return Array.from({ length: n }, (_, i) => d.step!(i, 1).score);
}

describe('vigil-rank', () => {
  it('maps the event score monotonically: knee → 0.5, 1 → recordBand', () => {
    const s = run(stubs([0, 0.057, 0.0285, 1, 0.5285], []), { ...QUIET, knee: 0.057, recordBand: 0.9 }, 5);
    expect(s[0]).toBe(0);
    expect(s[1]).toBeCloseTo(0.5, 12);
    expect(s[2]).toBeCloseTo(0.25, 12);
    expect(s[3]).toBeCloseTo(0.9, 12);
    expect(s[4]).toBeCloseTo(0.5 + (0.4 * (0.5285 - 0.057)) / (1 - 0.057), 12);
  });

  it('keeps an afterglow of glowWeight × the decayed event maximum, under the threshold', () => {
    const p = { ...QUIET, glowWeight: 0.05, glowTau: 10, knee: 0.1 };
    const s = run(stubs([0, 1, 0, 0, 0], []), p, 5);
    expect(s[0]).toBe(0);
    expect(s[2]).toBeCloseTo((0.5 * 0.05 * Math.exp(-1 / 10)) / 0.1, 12);
    expect(s[4]).toBeCloseTo((0.5 * 0.05 * Math.exp(-3 / 10)) / 0.1, 12);
    expect(s[4]).toBeLessThan(0.5);
    expect(run(stubs([0, 1, 0], []), QUIET, 3)[2]).toBe(0);
  });

  it('ranks quiet points by shapeWeight × the discord distance', () => {
    const s = run(stubs([0, 0], [0.5, 0.25]), { ...QUIET, shapeWeight: 0.04, knee: 0.04 }, 2);
    expect(s[0]).toBeCloseTo(0.25, 12);
    expect(s[1]).toBeCloseTo(0.125, 12);
  });

  it('scores a discord above every earlier one (after the warm-up, by the margin) above every event', () => {
    // Warm-up 4: the running maximum starts at point 2; records count from point 4.
    const discord = [0.9, 0.9, 0.3, 0.2, 0.31, 0.305, 0.4, 0.35];
    const events = [0, 0, 0, 0, 0, 0, 0, 1];
    const s = run(
      stubs(events, discord),
      { ...QUIET, recordWarmup: 4, recordMargin: 0.02, recordBand: 0.9 },
      8,
    );
    expect(s.slice(0, 4)).toEqual([0, 0, 0, 0]); // the early 0.9s are never a maximum
    expect(s[4]).toBeCloseTo(0.9 + 0.05 * 0.31, 12); // 0.31 > 0.3 · 1.02, in the discords' half of the band
    expect(s[5]).toBe(0); // 0.305 < 0.31 · 1.02
    expect(s[6]).toBeCloseTo(0.92, 12);
    expect(s[7]).toBeCloseTo(0.9, 12); // an event of strength 1 stays under the record
    expect(s[6]).toBeGreaterThan(s[7]!);
  });

  it('scores without learning, and resumes from its snapshot', () => {
    const events = [0, 0.6, 0, 0.2, 0, 0, 0.1, 0];
    const discord = [0.1, 0.5, 0.2, 0.6, 0.1, 0.7, 0.2, 0.9];
    const p = { recordWarmup: 2, glowTau: 3 };
    const whole = run(stubs(events, discord), p, 8);
    const r = stubs(events, discord);
    const a = r.create('vigil-rank', p);
    for (let i = 0; i < 4; i++) a.step!(i, 1);
    expect(a.score(4, 1).score).toBe(a.score(4, 1).score);
    const b = r.create('vigil-rank', p, JSON.parse(JSON.stringify(a.snapshot())));
    const rest = [4, 5, 6, 7].map((i) => {
      const peek = b.score(i, 1).score;
      const got = b.step!(i, 1).score;
      expect(got).toBe(peek);
      return got;
    });
    expect(rest).toEqual(whole.slice(4));
  });

  it('is the detector of the vigil2 preset, a building block otherwise', () => {
    const pipelines = pipelinesOf(builtinDetectors());
    expect(pipelines.named('vigil2').detector.name).toBe('vigil-rank');
    expect(pipelines.named('vigil2').threshold).toBe(0.5);
    expect(pipelines.selectable()).not.toContain('vigil-rank');
  });
});
