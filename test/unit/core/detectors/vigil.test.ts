import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Type from 'typebox';
import { describe, expect, it } from 'vitest';
import type { DetectorFactory, DetectorHints } from '../../../../src/core/detectors/index.ts';
import { builtinDetectors, DetectorRegistry } from '../../../../src/core/detectors/index.ts';
import { RecentMax } from '../../../../src/core/detectors/vigil/recent-max.ts';
import { vigilEvents } from '../../../../src/core/detectors/vigil/vigil-events.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';
import { NewExtreme } from '../../../../src/core/scoring/new-extreme.ts';
import { SoftRefractory } from '../../../../src/core/scoring/soft-refractory.ts';
import { loadNab, NAB_ROOT } from './nab-fixture.ts';

describe('NewExtreme', () => {
  it('fires beyond every earlier value by tolerance × their range, once two values differ', () => {
    const x = new NewExtreme(0.05);
    expect(x.test(5)).toBe(false);
    x.observe(10);
    expect(x.test(1000)).toBe(false); // one distinct value: no range yet
    x.observe(20);
    expect(x.test(20.4)).toBe(false);
    expect(x.test(20.6)).toBe(true);
    expect(x.test(9.6)).toBe(false);
    expect(x.test(9.4)).toBe(true);
    expect(x.test(Number.NaN)).toBe(false);
    x.observe(Number.POSITIVE_INFINITY);
    expect(x.toJSON()).toEqual([10, 20]);
    expect(new NewExtreme(0.05, x.toJSON()).test(20.6)).toBe(true);
  });
});

describe('SoftRefractory', () => {
  it('damps scores by 1 − e^(−gap/τ) after a score above the level, and not before', () => {
    const r = new SoftRefractory(0.3, 10);
    expect(r.damp(0.8)).toBe(0.8);
    r.observe(0.2); // below the level: no event
    expect(r.damp(0.8)).toBe(0.8);
    r.observe(0.5); // event
    expect(r.damp(0.8)).toBeCloseTo(0.8 * (1 - Math.exp(-1 / 10)), 15);
    for (let i = 0; i < 9; i++) r.observe(0);
    expect(r.damp(0.8)).toBeCloseTo(0.8 * (1 - Math.exp(-10 / 10)), 15);
    expect(new SoftRefractory(0.3, 10, r.toJSON()).damp(0.8)).toBe(r.damp(0.8));
    expect(new SoftRefractory(0.3, 0, 0).damp(0.8)).toBe(0.8);
  });
});

describe('RecentMax', () => {
  it('is the maximum of the last `size` values and the next one', () => {
    const m = new RecentMax(3);
    for (const v of [0.9, 0.1, 0.2, 0.3]) m.push(v);
    expect(m.peek(0)).toBe(0.3);
    expect(m.peek(0.5)).toBe(0.5);
    expect(m.toJSON()).toEqual([0.1, 0.2, 0.3]);
    expect(new RecentMax(3, [0.9, 0.1, 0.2, 0.7]).peek(0)).toBe(0.7);
  });
});

/**
 * Stubs: `artime` emits `scripted[t]` (t = points it has seen) times a factor that tells the
 * instances apart (1 for the short one, 0.5 for the long one), and records the hints it got;
 * `evidence` emits `scripted[t]` with a band around the value.
 */
function stubs(events: number[], evidence: number[], hintsSeen: DetectorHints[] = []): DetectorRegistry {
  const scripted = (name: string, at: (p: Record<string, unknown>, t: number, v: number) => number) =>
    ({
      name,
      version: 1,
      description: 'test stub',
      params: Type.Record(Type.String(), Type.Unknown()),
      defaults: {},
      create: (p: Record<string, unknown>, state, hints) => {
        if (hints !== undefined && name === 'artime') hintsSeen.push(hints);
        let t = (state?.data as number | undefined) ?? 0;
        const score = (_ts: number, v: number) => ({
          score: at(p, t, v),
          expected: v,
          lower: v - 1,
          upper: v + 1,
        });
        return {
          score,
          update: () => {
            t++;
          },
          snapshot: () => ({ detector: name, version: 1, data: t }),
        };
      },
    }) satisfies DetectorFactory<Record<string, unknown>>;
  const r = new DetectorRegistry();
  return r
    .register(scripted('artime', (p, t) => (events[t] ?? 0) * (p.probation === 750 ? 0.5 : 1)))
    .register(scripted('evidence', (_, t) => evidence[t] ?? 0))
    .register(vigilEvents(r));
}

/** Events and their corroboration only: no extremes, refractory, repeat mask, evidence tier or afterglow. */
const NO_EXTREMES = {
  evidence: 'evidence',
  extremeWeight: 0,
  refractoryTau: 0,
  repeatWindow: 0,
  tierWeight: 0,
  glowWeight: 0,
};
/** What the NAB harness hands over: ARTime knows its range. */
const NAB_HINTS = { min: 0, max: 1, probationaryLength: 100 };

function run(r: DetectorRegistry, params: Record<string, unknown>, n: number, hints?: DetectorHints) {
  const d = r.create('vigil-events', params, undefined, hints);
  return Array.from({ length: n }, (_, i) => d.step!(i, 1).score);
}

describe('vigil-events', () => {
  it('scores an event by (strength + w·best evidence of the window) / (1 + w), and 0 elsewhere', () => {
    const events = [0, 0, 0, 0, 0, 0.6, 0, 0, 0, 0.6];
    const evidence = [0, 0.9, 0, 0, 0, 0.2, 0.9, 0.9, 0.9, 0];
    const s = run(stubs(events, evidence), { ...NO_EXTREMES, corroborationWindow: 4 }, 10, NAB_HINTS);
    // Point 5: evidence 0.9 at point 1 is 4 points back, inside the window; point 9 sees 0.9 at 8.
    expect(s[5]).toBeCloseTo((0.6 + 0.9) / 2, 15);
    expect(s[9]).toBeCloseTo((0.6 + 0.9) / 2, 15);
    expect(s.filter((_, i) => i !== 5 && i !== 9)).toEqual(new Array(8).fill(0));
    const narrow = run(stubs(events, evidence), { ...NO_EXTREMES, corroborationWindow: 3 }, 6, NAB_HINTS);
    expect(narrow[5]).toBeCloseTo((0.6 + 0.2) / 2, 15);
    const weighted = run(stubs(events, evidence), { ...NO_EXTREMES, corroborationWeight: 3 }, 6, NAB_HINTS);
    expect(weighted[5]).toBeCloseTo((0.6 + 3 * 0.9) / 4, 15);
  });

  it('weighs the evidence by estimatedRangeWeight when ARTime has no min/max hints', () => {
    const events = [0, 0.6];
    const evidence = [0.9, 0];
    const p = { ...NO_EXTREMES, corroborationWeight: 1, estimatedRangeWeight: 3 };
    expect(run(stubs(events, evidence), p, 2, NAB_HINTS)[1]).toBeCloseTo((0.6 + 0.9) / 2, 15);
    expect(run(stubs(events, evidence), p, 2, { probationaryLength: 100 })[1]).toBeCloseTo(
      (0.6 + 3 * 0.9) / 4,
      15,
    );
    // Strict mode (no hints); the choice is kept in the state.
    const r = stubs([0, 0.6, 0.6], [0.9, 0, 0]);
    const d = r.create('vigil-events', p);
    expect(d.step!(0, 1).score).toBe(0);
    const restored = r.create('vigil-events', p, JSON.parse(JSON.stringify(d.snapshot())), NAB_HINTS);
    expect(restored.step!(1, 1).score).toBeCloseTo((0.6 + 3 * 0.9) / 4, 15);
  });

  it('masks an event no stronger than one of the last repeatWindow points', () => {
    const events = [0.6, 0, 0.6, 0, 0, 0.8, 0, 0, 0, 0.6];
    const p = { ...NO_EXTREMES, corroborationWeight: 0, repeatWindow: 3, repeatDamping: 0.1 };
    const s = run(stubs(events, []), p, 10, NAB_HINTS);
    expect(s[0]).toBe(0.6);
    expect(s[2]).toBeCloseTo(0.06, 15); // 0.6 two points back
    expect(s[5]).toBe(0.8); // stronger: not a repeat
    expect(s[9]).toBe(0.6); // 0.8 is four points back
  });

  it('scores points without an event by tierWeight × evidence, damped after alarms', () => {
    const events = [0, 0, 0.8, 0, 0];
    const evidence = [0.4, 0.6, 0.2, 0.3, 0.3];
    const p = { ...NO_EXTREMES, corroborationWeight: 1, tierWeight: 0.1, tierAlarmLevel: 0.5, tierTau: 10 };
    const s = run(stubs(events, evidence), p, 5, NAB_HINTS);
    expect(s[0]).toBeCloseTo(0.04, 15);
    expect(s[1]).toBeCloseTo(0.06, 15); // the first alarm itself is not damped
    expect(s[2]).toBeCloseTo((0.8 + 0.6) / 2, 15); // an event: the tier is not involved
    // The event (above the refractory level) is the latest alarm.
    expect(s[3]).toBeCloseTo(0.03 * (1 - Math.exp(-1 / 10)), 15);
    expect(s[4]).toBeCloseTo(0.03 * (1 - Math.exp(-2 / 10)), 15);
  });

  it('keeps an afterglow: every score at least glowWeight × the decayed maximum of earlier scores', () => {
    const events = [0, 0.8, 0, 0, 0.01, 0];
    const p = { ...NO_EXTREMES, corroborationWeight: 0, glowWeight: 0.05, glowTau: 10 };
    const r = stubs(events, []);
    const d = r.create('vigil-events', p, undefined, NAB_HINTS);
    const s = [0, 1, 2].map((i) => d.step!(i, 1).score);
    expect(s[0]).toBe(0);
    expect(s[1]).toBe(0.8); // the event itself
    expect(s[2]).toBeCloseTo(0.05 * 0.8 * Math.exp(-1 / 10), 15);
    // Scoring does not learn; a restored detector goes on from the same maximum.
    expect(d.score(3, 1).score).toBe(d.score(3, 1).score);
    const restored = r.create('vigil-events', p, JSON.parse(JSON.stringify(d.snapshot())), NAB_HINTS);
    const rest = [3, 4, 5].map((i) => restored.step!(i, 1).score);
    expect(rest[0]).toBeCloseTo(0.05 * 0.8 * Math.exp(-2 / 10), 15);
    expect(rest[1]).toBeCloseTo(Math.max(0.01, 0.05 * 0.8 * Math.exp(-3 / 10)), 15);
    expect(rest[2]).toBeCloseTo(0.05 * 0.8 * Math.exp(-4 / 10), 15);
    // Off at 0; and a version-3 state (no afterglow kept) restores with none.
    expect(run(stubs(events, []), { ...p, glowWeight: 0 }, 3, NAB_HINTS)[2]).toBe(0);
    const v3 = d.snapshot();
    delete (v3.data as { glow?: number }).glow;
    const old = r.create('vigil-events', p, { ...v3, version: 3 }, NAB_HINTS);
    expect(old.step!(3, 1).score).toBe(0);
  });

  it('counts a new extreme as an event of extremeWeight', () => {
    const d = stubs([], new Array(10).fill(0.4)).create('vigil-events', {
      evidence: 'evidence',
      refractoryTau: 0,
      tierWeight: 0,
    });
    for (const v of [10, 20, 15]) d.update(0, v);
    expect(d.score(0, 20.4).score).toBe(0);
    expect(d.score(0, 20.6).score).toBeCloseTo((0.5 + 0.4) / 2, 15);
  });

  it('damps the events that follow one above the refractory level', () => {
    const events = [0.8, 0.8, 0, 0, 0, 0, 0, 0, 0, 0, 0.8];
    const s = run(
      stubs(events, []),
      { ...NO_EXTREMES, refractoryTau: 30, refractoryLevel: 0.3 },
      11,
      NAB_HINTS,
    );
    expect(s[0]).toBeCloseTo(0.4, 15);
    expect(s[1]).toBeCloseTo(0.4 * (1 - Math.exp(-1 / 30)), 15);
    expect(s[10]).toBeCloseTo(0.4 * (1 - Math.exp(-9 / 30)), 15);
  });

  it('runs one ARTime with NAB hints, and in strict mode hands over from the short to the long one', () => {
    const hintsSeen: DetectorHints[] = [];
    const nab = { min: 0, max: 1, probationaryLength: 600 };
    const events = new Array(1000).fill(1);
    const alone = { ...NO_EXTREMES, corroborationWeight: 0, estimatedRangeWeight: 0 };
    const withHints = run(stubs(events, [], hintsSeen), alone, 800, nab);
    expect(hintsSeen).toEqual([nab]);
    expect(new Set(withHints)).toEqual(new Set([1])); // the stub's default-probation factor
    const strict = stubs(events, []);
    const d = strict.create('vigil-events', alone);
    const s = Array.from({ length: 800 }, (_, i) => d.step!(i, 1).score);
    expect(s.slice(0, 750).every((x) => x === 1)).toBe(true);
    expect(s.slice(750).every((x) => x === 0.5)).toBe(true);
    // After the handoff the short instance is gone from the state, and a restore carries on.
    const state = JSON.parse(JSON.stringify(d.snapshot()));
    expect(state.data.artime).toMatchObject({ staged: true, t: 750, short: null });
    expect(strict.create('vigil-events', alone, state).step!(0, 1).score).toBe(0.5);
  });

  it('passes the evidence band through and refuses a state of another evidence detector', () => {
    const r = stubs([], []);
    const d = r.create('vigil-events', { evidence: 'evidence' });
    expect(d.score(0, 7)).toEqual({ score: 0, expected: 7, lower: 6, upper: 8 });
    const real = builtinDetectors();
    expect(() =>
      real.create('vigil-events', { evidence: 'ewma' }, real.create('vigil-events').snapshot()),
    ).toThrow(/likelihood/);
  });

  it('is the detector of the vigil preset, which is the default', () => {
    const pipelines = pipelinesOf(builtinDetectors());
    expect(pipelines.named('default')).toEqual(pipelines.named('vigil'));
    expect(pipelines.named('vigil').detector.name).toBe('vigil-events');
  });
});

describe('vigil on a NAB file', () => {
  it.each([
    ['NAB rules', true],
    ['strict', false],
  ])('puts its highest score inside the label window of art_daily_jumpsup (%s)', (_, withHints) => {
    const path = 'artificialWithAnomaly/art_daily_jumpsup.csv';
    const f = loadNab(path);
    const labels = JSON.parse(readFileSync(join(NAB_ROOT, 'labels/combined_windows.json'), 'utf8'));
    const [start, end] = (labels[path] as string[][])[0]!.map((s) =>
      f.ts.indexOf(Date.parse(`${s.slice(0, 19).replace(' ', 'T')}Z`)),
    ) as [number, number];
    expect(start).toBeGreaterThan(0);
    const hints = withHints
      ? { min: f.min, max: f.max, probationaryLength: f.probationaryLength }
      : undefined;
    const d = pipelinesOf(builtinDetectors()).createNamed('vigil', hints);
    const scores = Array.from(f.values, (v, i) => d.step(f.ts[i]!, v).score);
    let best = f.probationaryLength;
    for (let i = best; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
    expect(best).toBeGreaterThanOrEqual(start);
    expect(best).toBeLessThanOrEqual(end);
  });
});
