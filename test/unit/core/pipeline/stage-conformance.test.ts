/**
 * The stage conformance suite: every registered calibrator and post-rule is checked inside a
 * pipeline (the `ewma` detector in front of it), so a stage kind is held to these rules the moment
 * it is registered, as detectors are by test/unit/core/detectors/conformance.test.ts. A post-rule
 * runs with the params in EXERCISE (defaults of some rules change nothing), after the `likelihood`
 * calibration and a threshold low enough that it has anomalies to judge. Every pipeline is handed
 * the same labels part-way through (`Pipeline.feedback`), which only a feedback stage learns.
 */
import Value from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import type { FeedbackExample } from '../../../../src/core/feedback/label.ts';
import type { PipelineDeclaration } from '../../../../src/core/pipeline/declaration.ts';
import type { PipelineState } from '../../../../src/core/pipeline/pipeline.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';
import type { StageKind } from '../../../../src/core/pipeline/stage.ts';
import type { ScoredPoint } from '../../../../src/core/point.ts';
import { edgeStreams, generalStream, prng, type Stream } from '../detectors/fixtures.ts';

const pipelines = pipelinesOf(builtinDetectors());

/** Params that make each post-rule act on the general stream; a rule missing here fails below. */
const EXERCISE: Record<string, Record<string, unknown>> = {
  direction: { value: 'up' },
  minDeviation: { absolute: 8, relative: 0.05 },
  minDuration: { points: 3 },
  softRefractory: { level: 0.3, tau: 20 },
  feedback: { memory: 0 },
};

/** Labels every pipeline is handed at row LABELLED_AT (a no-op for those without a feedback stage). */
const LABELLED_AT = 300;

type Role = 'calibration' | 'post-rule';

function declaration(
  role: Role,
  kind: StageKind<unknown, unknown>,
  postRules = [{ name: kind.name, ...EXERCISE[kind.name] }],
): PipelineDeclaration {
  const detector = { name: 'ewma', params: { warmup: 5 } };
  if (role === 'calibration') return { detector, calibration: { name: kind.name }, threshold: 0.5 };
  return {
    detector,
    calibration: { name: 'likelihood', learningPeriod: 50, estimationSamples: 50 },
    threshold: 0.2,
    postRules,
  };
}

function run(decl: PipelineDeclaration, s: Stream, state?: PipelineState, from = 0, to = s.values.length) {
  const p = pipelines.create(pipelines.resolve(decl), state);
  const out: ScoredPoint[] = [];
  for (let i = from; i < to; i++) {
    if (i === LABELLED_AT) p.feedback(labelsOf(s));
    out.push(p.step(s.ts[i]!, s.values[i]!));
  }
  return { p, out };
}

/**
 * What a person would label on `s` by row LABELLED_AT: the anomalous points the pipeline without
 * post-rules reports before it, alternately `not_anomaly` and `anomaly`.
 */
function labelsOf(s: Stream): FeedbackExample[] {
  const p = pipelines.create(
    pipelines.resolve(declaration('post-rule', pipelines.postRules.kinds()[0]!, [])),
  );
  const out: FeedbackExample[] = [];
  for (let i = 0; i < Math.min(LABELLED_AT, s.values.length); i++) {
    const q = p.step(s.ts[i]!, s.values[i]!);
    if (!q.anomalous) continue;
    const label = out.length % 2 === 0 ? 'not_anomaly' : 'anomaly';
    out.push({
      id: String(i),
      label,
      start: q.ts,
      peakValue: q.value,
      peakExpected: q.expected,
      peakScore: q.score,
    });
  }
  return out;
}

function firstDifference(a: ScoredPoint[], b: ScoredPoint[]): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i]!.score, b[i]!.score) || a[i]!.anomalous !== b[i]!.anomalous) return i;
  }
  return -1;
}

const general = generalStream(2400, 7);
const checkpoints = [0, 1, 7, 20, 99, 100, 101, 333, 600, 601, 1024, 2047];
const kinds: [Role, StageKind<unknown, unknown>][] = [
  ...pipelines.calibrators.kinds().map((k) => ['calibration', k] as [Role, StageKind<unknown, unknown>]),
  ...pipelines.postRules.kinds().map((k) => ['post-rule', k] as [Role, StageKind<unknown, unknown>]),
];

describe.each(kinds.map(([role, k]) => [`${role} ${k.name}`, role, k] as const))('%s', (_, role, kind) => {
  const decl = declaration(role, kind);
  const stateOf = (s: PipelineState) => (role === 'calibration' ? s.calibration : s.postRules[0]!);

  it('declares defaults that satisfy its schema, and is exercised', () => {
    expect(Value.Check(kind.params, kind.defaults)).toBe(true);
    if (role === 'post-rule') expect(EXERCISE[kind.name], 'add the rule to EXERCISE').toBeDefined();
  });

  it('is deterministic and restores bit-identically from a JSON snapshot taken at any point', () => {
    const expected = run(decl, general).out;
    expect(firstDifference(run(decl, general).out, expected)).toBe(-1);
    let state: PipelineState | undefined;
    let at = 0;
    const got: ScoredPoint[] = [];
    for (const k of [...checkpoints, general.values.length]) {
      const r = run(decl, general, state, at, k);
      got.push(...r.out);
      at = k;
      state = JSON.parse(JSON.stringify(r.p.snapshot())) as PipelineState;
      expect(stateOf(state)).toMatchObject({ stage: kind.name, version: kind.version });
    }
    expect(firstDifference(got, expected)).toBe(-1);
  });

  it('score() does not learn, and step() returns what score() said', () => {
    const p = pipelines.create(pipelines.resolve(decl));
    const reference = run(decl, general).out;
    const u = prng(3);
    const stepped: ScoredPoint[] = [];
    for (let i = 0; i < general.values.length; i++) {
      if (i === LABELLED_AT) p.feedback(labelsOf(general));
      const ts = general.ts[i]!;
      const v = general.values[i]!;
      p.score(ts, v + (u() - 0.5) * 100);
      const said = p.score(ts, v);
      const did = p.step(ts, v);
      expect(did).toEqual(said);
      stepped.push(did);
    }
    expect(firstDifference(stepped, reference)).toBe(-1);
  });

  it('keeps scores in [0, 1] on edge streams, and state within its declared bound', () => {
    for (const s of edgeStreams()) {
      for (const p of run(decl, s).out) {
        if (!(p.score >= 0 && p.score <= 1)) expect.fail(`${s.name}: score ${p.score}`);
      }
    }
    const long = generalStream(20_000, 11);
    const { p } = run(decl, long);
    expect(JSON.stringify(stateOf(p.snapshot())).length).toBeLessThanOrEqual(kind.maxStateBytes);
  });
});

describe('the exercised post-rules act', () => {
  it('each clears some anomalies the pipeline without it reports, and never adds one', () => {
    for (const kind of pipelines.postRules.kinds()) {
      const decl = declaration('post-rule', kind);
      const without = run({ ...decl, postRules: [] }, general).out;
      const withRule = run(decl, general).out;
      const cleared = without.filter((p, i) => p.anomalous && !withRule[i]!.anomalous).length;
      const added = without.filter((p, i) => !p.anomalous && withRule[i]!.anomalous).length;
      expect(added, kind.name).toBe(0);
      expect(cleared, kind.name).toBeGreaterThan(0);
    }
  });
});
