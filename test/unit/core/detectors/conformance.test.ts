/**
 * The detector conformance suite: every factory in builtinDetectors() is checked with its default
 * params, so a detector is held to these rules the moment it is registered. A detector may skip a
 * check only through OPT_OUTS below, with the reason written next to it.
 */
import { describe, expect, it } from 'vitest';
import type {
  Detector,
  DetectorFactory,
  DetectorHints,
  DetectorState,
} from '../../../../src/core/detectors/index.ts';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import type { Score } from '../../../../src/core/point.ts';
import { edgeStreams, eventAuc, generalStream, labelledFixture, prng, type Stream } from './fixtures.ts';

type Check = 'determinism' | 'restore' | 'purity' | 'edges' | 'state' | 'quality';

/** Explicit opt-outs: detector name → check → why. Empty is the goal. */
const OPT_OUTS: Record<string, Partial<Record<Check, string>>> = {
  'cad-ose': {
    // CAD OSE's context memory grows with every novel pattern until its declared cap
    // (maxContexts), so its state is not flat between 10k and 20k points; the declared
    // maxStateBytes bound is still checked in the detector's own tests.
    state: 'context memory grows with novelty up to maxContexts; not flat between 10k and 20k points',
  },
  discord: {
    // A shape detector: it z-normalises each window, so a spike in white noise or a level shift
    // reads as one more noisy window (mean 0.70 here); it is measured on shape anomalies instead
    // (test/unit/core/detectors/discord, bench/README.md "Discord detector").
    quality: 'z-normalised shape distances do not rank spikes in noise or level shifts',
  },
};

/** Bound for factories that declare no `maxStateBytes`: the light-detector budget. */
const DEFAULT_MAX_STATE_BYTES = 256;
/** Mean event ROC-AUC over the fixture's series a detector must reach (random and constant: 0.5). */
const MIN_AUC = 0.75;

const registry = builtinDetectors();
const factories = registry.factories();

function build(f: DetectorFactory<unknown>, state?: DetectorState, hints?: DetectorHints): Detector {
  return f.create(registry.resolveParams(f.name), state, hints);
}

function run(d: Detector, s: Stream, from = 0, to = s.values.length): Score[] {
  const out: Score[] = [];
  for (let i = from; i < to; i++) {
    out.push(d.score(s.ts[i]!, s.values[i]!));
    d.update(s.ts[i]!, s.values[i]!);
  }
  return out;
}

function roundTrip(d: Detector): DetectorState {
  return JSON.parse(JSON.stringify(d.snapshot())) as DetectorState;
}

/** Index of the first score that differs bit for bit (NaN equals NaN), or -1. */
function firstDifference(a: Score[], b: Score[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (
      !Object.is(x.score, y.score) ||
      !Object.is(x.expected, y.expected) ||
      !Object.is(x.lower, y.lower) ||
      !Object.is(x.upper, y.upper)
    ) {
      return i;
    }
  }
  return -1;
}

function checkRange(scores: Score[], where: string): void {
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    const bad =
      !(Number.isFinite(s.score) && s.score >= 0 && s.score <= 1) ||
      [s.expected, s.lower, s.upper].some((v) => !Number.isNaN(v) && !Number.isFinite(v));
    if (bad)
      expect.fail(
        `${where}, point ${i}: ${JSON.stringify(s, (_, v) => (typeof v === 'number' ? String(v) : v))}`,
      );
  }
}

const general = generalStream(2400, 7);
/** Restore points: fresh, inside and at the end of warm-ups (20, likelihood's 600), and later. */
const checkpoints = [0, 1, 7, 19, 20, 21, 50, 99, 100, 101, 256, 333, 599, 600, 601, 700, 1024, 1500, 2047];

describe.each(factories.map((f) => [f.name, f] as const))('detector %s', (name, f) => {
  const skip = (check: Check): boolean => OPT_OUTS[name]?.[check] !== undefined;

  it.skipIf(skip('determinism'))('is deterministic for a seed', () => {
    const a = run(build(f, undefined, { seed: 42 }), general);
    const b = run(build(f, undefined, { seed: 42 }), general);
    expect(firstDifference(a, b)).toBe(-1);
  });

  it.skipIf(skip('restore'))('restores bit-identically from a JSON snapshot taken at any point', () => {
    const reference = build(f);
    const expected = run(reference, general);
    // One instance restored from its own JSON snapshot at every checkpoint must track a
    // never-restored one exactly, to the last bit of every score and band, and end in the same state.
    let d = build(f);
    let at = 0;
    const got: Score[] = [];
    for (const k of [...checkpoints, general.values.length]) {
      got.push(...run(d, general, at, k));
      at = k;
      const state = roundTrip(d);
      expect(state.detector).toBe(f.name);
      expect(state.version).toBe(f.version);
      d = build(f, state);
    }
    const diff = firstDifference(got, expected);
    if (diff >= 0) {
      const after = checkpoints.filter((k) => k <= diff).pop();
      expect.fail(`point ${diff} differs (last restore at ${after})`);
    }
    expect(JSON.stringify(d.snapshot())).toBe(JSON.stringify(reference.snapshot()));
  });

  it.skipIf(skip('purity'))('score() does not learn, and step() equals score-then-update', () => {
    const expected = run(build(f), general);
    const u = prng(3);
    const probed = build(f);
    const viaStep = build(f);
    const got: Score[] = [];
    const stepped: Score[] = [];
    for (let i = 0; i < general.values.length; i++) {
      const ts = general.ts[i]!;
      const v = general.values[i]!;
      probed.score(ts, v + (u() - 0.5) * 100);
      probed.score(ts + 1, v);
      got.push(probed.score(ts, v));
      probed.update(ts, v);
      if (viaStep.step !== undefined) stepped.push(viaStep.step(ts, v));
      else {
        stepped.push(viaStep.score(ts, v));
        viaStep.update(ts, v);
      }
    }
    expect(firstDifference(got, expected)).toBe(-1);
    expect(firstDifference(stepped, expected)).toBe(-1);
  });

  it.skipIf(skip('edges'))('handles gaps, irregular time, constant, huge, tiny and negative values', () => {
    const tail = generalStream(60, 5);
    for (const s of edgeStreams()) {
      const n = s.values.length;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      for (const v of s.values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      const nabHints = { min, max, probationaryLength: Math.min(Math.floor(0.15 * n), 750) };
      for (const hints of [undefined, nabHints]) {
        const where = `${s.name}${hints ? ' (NAB hints)' : ''}`;
        const d = build(f, undefined, hints);
        checkRange(run(d, s), where);
        // State must survive JSON (no NaN/Infinity inside) and go on to score normal data sanely.
        const restored = build(f, roundTrip(d), hints);
        const a = run(d, tail);
        checkRange(a, `${where}, then normal data`);
        const at = firstDifference(run(restored, tail), a);
        if (at >= 0) expect.fail(`${where}: restore after the stream differs at point ${at}`);
      }
    }
  });

  it.skipIf(skip('state'))('keeps its snapshot within the declared bound', () => {
    const bound = f.maxStateBytes ?? DEFAULT_MAX_STATE_BYTES;
    const long = generalStream(20_000, 11);
    const d = build(f);
    run(d, long, 0, 10_000);
    const at10k = JSON.stringify(d.snapshot()).length;
    run(d, long, 10_000);
    const at20k = JSON.stringify(d.snapshot()).length;
    expect(at10k).toBeLessThanOrEqual(bound);
    expect(at20k).toBeLessThanOrEqual(bound);
    // Bounded means (nearly) flat once warmed up: a state that grows with the stream would double.
    expect(at20k - at10k).toBeLessThanOrEqual(Math.max(64, at10k / 4));
  });

  it.skipIf(skip('quality'))(`beats random on the labelled fixture (mean ROC-AUC ≥ ${MIN_AUC})`, () => {
    const aucs = labelledFixture().map((s) => {
      const scores = run(build(f), s).map((x) => x.score);
      return eventAuc(scores, s);
    });
    const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    expect(mean, `per series: ${aucs.map((a) => a.toFixed(3)).join(' ')}`).toBeGreaterThanOrEqual(MIN_AUC);
  });
});

describe('the labelled-fixture check', () => {
  const mean = (score: (s: Stream, i: number) => number): number => {
    const fx = labelledFixture();
    const aucs = fx.map((s) => {
      return eventAuc(
        s.values.map((_, i) => score(s, i)),
        s,
      );
    });
    return aucs.reduce((a, b) => a + b, 0) / aucs.length;
  };

  it('fails a random detector', () => {
    const u = prng(1234);
    expect(mean(() => u())).toBeLessThan(MIN_AUC - 0.1);
  });

  it('fails a constant detector', () => {
    expect(mean(() => 0.5)).toBeLessThan(MIN_AUC);
  });

  it('places every event after warm-up, apart from the others', () => {
    for (const s of labelledFixture()) {
      expect(s.events.length, s.name).toBeGreaterThanOrEqual(1);
      for (const [a, b] of s.events) expect(a >= s.evalFrom && b > a, s.name).toBe(true);
    }
  });

  it('gives a perfect detector 1', () => {
    const fx = labelledFixture();
    const aucs = fx.map((s) =>
      eventAuc(
        s.values.map((_, i) => (s.events.some(([a, b]) => i >= a && i < b) ? 1 : 0)),
        s,
      ),
    );
    expect(aucs.every((a) => a === 1)).toBe(true);
  });
});
