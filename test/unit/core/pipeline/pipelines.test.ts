import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import { isVigilError } from '../../../../src/core/errors.ts';
import { canonicalJson } from '../../../../src/core/pipeline/declaration.ts';
import { pipelinesOf } from '../../../../src/core/pipeline/pipelines.ts';
import { generalStream } from '../detectors/fixtures.ts';

const pipelines = pipelinesOf(builtinDetectors());

function errorOf(fn: () => unknown): { message: string; code: string; field?: string } {
  try {
    fn();
  } catch (err) {
    if (!isVigilError(err)) throw err;
    const j = err.toJSON() as { code: string; field?: string };
    return { message: err.message, code: j.code, ...(j.field !== undefined ? { field: j.field } : {}) };
  }
  throw new Error('no error');
}

describe('resolving a declaration', () => {
  it("fills in every default: the detector's params, its default calibration, the threshold", () => {
    const p = pipelines.resolve({ detector: { name: 'ewma', params: { alpha: 0.02 } } });
    expect(p.detector).toEqual({
      name: 'ewma',
      params: { ...(builtinDetectors().get('ewma').defaults as object), alpha: 0.02 },
    });
    expect(p.calibration).toMatchObject({ name: 'lite-likelihood', averagingWindow: 10, horizon: 4000 });
    expect(p.threshold).toBe(0.5);
    expect(p.postRules).toEqual([]);
  });

  it('resolves the example of the issue, post-rules in order with their defaults', () => {
    const p = pipelines.resolve({
      detector: { name: 'ewma', params: {} },
      calibration: { name: 'likelihood' },
      threshold: 0.99,
      postRules: [
        { name: 'direction', value: 'up' },
        { name: 'minDeviation', absolute: 5 },
        { name: 'minDuration', points: 3 },
      ],
    });
    expect(p.postRules).toEqual([
      { name: 'direction', value: 'up' },
      { name: 'minDeviation', absolute: 5, relative: 0 },
      { name: 'minDuration', points: 3 },
    ]);
  });

  it.each([
    [
      { detector: { name: 'ewma', params: { alpha: 2 } } },
      'engine.pipeline.detector.params.alpha',
      /must be <= 1/,
    ],
    [{ detector: { name: 'nope' } }, 'engine.pipeline.detector.name', /unknown detector "nope"/],
    [
      { detector: { name: 'ewma' }, calibration: { name: 'zz' } },
      'engine.pipeline.calibration.name',
      /unknown calibrator/,
    ],
    [
      { detector: { name: 'ewma' }, calibration: { name: 'likelihood', averagingWindow: 0 } },
      'engine.pipeline.calibration.averagingWindow',
      /must be >= 1/,
    ],
    [
      { detector: { name: 'ewma' }, postRules: [{ name: 'direction', value: 'sideways' }] },
      'engine.pipeline.postRules.0.value',
      /must be one of "up", "down", "both"/,
    ],
    [
      { detector: { name: 'ewma' }, postRules: [{ name: 'minDuration', points: 2, typo: 1 }] },
      'engine.pipeline.postRules.0.typo',
      /unknown key/,
    ],
    [{ detector: { name: 'ewma' }, threshold: 1.5 }, 'engine.pipeline.threshold', /must be <= 1/],
    [{ detector: { name: 'ewma' }, extra: true }, 'engine.pipeline.extra', /unknown key/],
  ])('rejects %j naming the field', (input, field, message) => {
    const e = errorOf(() => pipelines.resolve(input, 'engine.pipeline'));
    expect(e.code).toBe('VIGIL_ERR_BAD_PIPELINE');
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`${field}: `)).toBe(true);
    expect(e.message).toMatch(message);
  });
});

describe('the content hash', () => {
  it('is the sha256 of canonical JSON, equal for equal declarations however written', () => {
    const a = pipelines.resolve({ detector: { name: 'ewma' } });
    const b = pipelines.resolve({
      threshold: 0.5,
      postRules: [],
      calibration: { name: 'lite-likelihood', horizon: 4000 },
      detector: {
        params: { alpha: (builtinDetectors().get('ewma').defaults as { alpha: number }).alpha },
        name: 'ewma',
      },
    } as never);
    expect(pipelines.hash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(pipelines.hash(b)).toBe(pipelines.hash(a));
    expect(pipelines.hash(pipelines.resolve({ detector: { name: 'ewma' }, threshold: 0.6 }))).not.toBe(
      pipelines.hash(a),
    );
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
  });
});

describe('names a user may select', () => {
  it('are the presets and the detectors that are not building blocks', () => {
    const names = pipelines.selectable();
    expect(names).toEqual(
      expect.arrayContaining(['default', 'vigil', 'fast', 'ewma', 'seasonal', 'ensemble']),
    );
    expect(names).not.toContain('vigil-events');
    expect(names).not.toContain('likelihood');
    expect(errorOf(() => pipelines.named('vigil-events')).message).toMatch(/unknown detector "vigil-events"/);
  });

  it('select presets as declarations', () => {
    expect(pipelines.named('vigil')).toMatchObject({
      name: 'vigil',
      detector: { name: 'vigil-events' },
      calibration: { name: 'knee', knee: 0.057 },
      threshold: 0.5,
      postRules: [{ name: 'feedback' }],
    });
    expect(pipelines.named('fast')).toMatchObject({
      name: 'fast',
      detector: { name: 'ensemble', params: { combine: 'max' } },
      calibration: { name: 'lite-likelihood' },
      threshold: 0.5,
      postRules: [{ name: 'softRefractory', level: 0.5, tau: 30 }, { name: 'feedback' }],
    });
  });
});

describe('a running pipeline', () => {
  const s = generalStream(1500, 5);

  it('applies the threshold to the calibrated score, and the post-rules after it', () => {
    const base = { detector: { name: 'ewma' }, calibration: { name: 'none' }, threshold: 0.99 } as const;
    const plain = pipelines.create(pipelines.resolve(base));
    const up = pipelines.create(
      pipelines.resolve({ ...base, postRules: [{ name: 'direction', value: 'up' }] }),
    );
    const long = pipelines.create(
      pipelines.resolve({ ...base, postRules: [{ name: 'minDuration', points: 2 }] }),
    );
    let anomalies = 0;
    let run = 0;
    for (let i = 0; i < s.values.length; i++) {
      const p = plain.step(s.ts[i]!, s.values[i]!);
      const u = up.step(s.ts[i]!, s.values[i]!);
      const l = long.step(s.ts[i]!, s.values[i]!);
      expect(p.anomalous).toBe(p.score >= 0.99);
      expect(u.score).toBe(p.score);
      expect(u.anomalous).toBe(p.anomalous && p.value > p.expected);
      expect(l.anomalous).toBe(p.anomalous && run >= 1);
      run = p.anomalous ? run + 1 : 0;
      if (p.anomalous) anomalies++;
    }
    expect(anomalies).toBeGreaterThan(0);
  });

  it('keeps a point with a deviation below minDeviation from being anomalous', () => {
    const rule = pipelines.postRules.create(
      'minDeviation',
      { absolute: 5, relative: 0.1 },
      { threshold: 0.5 },
    );
    const p = { ts: 0, value: 104, score: 0.9, expected: 100, lower: 99, upper: 101, anomalous: true };
    expect(rule.step(p).anomalous).toBe(false); // 4 < 5
    expect(rule.step({ ...p, value: 108 }).anomalous).toBe(false); // 8 < 0.1 × 100
    expect(rule.step({ ...p, value: 111 }).anomalous).toBe(true);
    expect(rule.step({ ...p, value: 89 }).anomalous).toBe(true);
    expect(rule.step({ ...p, expected: Number.NaN }).anomalous).toBe(true); // cannot judge: passes
  });

  it('restores from its own snapshot, not from one of another declaration', () => {
    const decl = pipelines.resolve({ detector: { name: 'ewma' } });
    const a = pipelines.create(decl);
    for (let i = 0; i < 1000; i++) a.step(s.ts[i]!, s.values[i]!);
    const state = JSON.parse(JSON.stringify(a.snapshot()));
    expect(state).toMatchObject({ pipeline: 1, hash: pipelines.hash(decl) });
    const b = pipelines.create(decl, state);
    const other = pipelines.create(pipelines.resolve({ detector: { name: 'ewma' }, threshold: 0.7 }), state);
    const fresh = pipelines.create(pipelines.resolve({ detector: { name: 'ewma' }, threshold: 0.7 }));
    for (let i = 1000; i < 1500; i++) {
      expect(b.step(s.ts[i]!, s.values[i]!)).toEqual(a.step(s.ts[i]!, s.values[i]!));
      expect(other.step(s.ts[i]!, s.values[i]!)).toEqual(fresh.step(s.ts[i]!, s.values[i]!));
    }
  });

  it('restores the detector stage from a bare detector state (checkpoints from before pipelines)', () => {
    const registry = builtinDetectors();
    const d = registry.create('ewma');
    for (let i = 0; i < 500; i++) d.update(s.ts[i]!, s.values[i]!);
    const decl = pipelines.resolve({ detector: { name: 'ewma' }, calibration: { name: 'none' } });
    const p = pipelines.create(decl, d.snapshot());
    const q = pipelines.create(pipelines.resolve({ detector: { name: 'robust-z' } }), d.snapshot());
    const s0 = d.score(s.ts[500]!, s.values[500]!);
    expect(p.score(s.ts[500]!, s.values[500]!)).toMatchObject({ score: s0.score, expected: s0.expected });
    // Another detector's state is not restored: a fresh robust-z has no expected value yet.
    expect(Number.isNaN(q.score(s.ts[500]!, s.values[500]!).expected)).toBe(true);
  });
});

describe('the afterglow', () => {
  const s = generalStream(1500, 5);
  const base = { detector: { name: 'ewma' }, calibration: { name: 'none' }, threshold: 0.8 } as const;

  it("is the detector's default (level 0.5, tau 100), and resolving a resolved form gives it back", () => {
    expect(pipelines.resolve({ detector: { name: 'ewma' } }).afterglow).toEqual({ level: 0.5, tau: 100 });
    expect(pipelines.resolve({ ...base, afterglow: { level: 0.3 } }).afterglow).toEqual({
      level: 0.3,
      tau: 100,
    });
    // Off where the detector has a default: kept as level 0, or a stored config would turn it on.
    const off = pipelines.resolve({ ...base, afterglow: { level: 0 } });
    expect(off.afterglow).toEqual({ level: 0, tau: 100 });
    for (const p of [
      off,
      pipelines.resolve(base),
      pipelines.resolve({ ...base, afterglow: { level: 0.4, tau: 7 } }),
    ]) {
      const again = pipelines.resolve(JSON.parse(JSON.stringify(p)));
      expect(again).toEqual(p);
      expect(pipelines.hash(again)).toBe(pipelines.hash(p));
    }
    expect(pipelines.hash(pipelines.resolve(base))).not.toBe(pipelines.hash(off));
  });

  it('leaves pipelines of detectors without a default as they hashed before afterglows existed', () => {
    // `ensemble` (the `fast` preset's detector) and `vigil`'s detector (which has its own) have none.
    for (const p of [pipelines.named('fast'), pipelines.named('vigil'), pipelines.named('ensemble')]) {
      expect('afterglow' in p).toBe(false);
    }
    const fast = pipelines.named('fast');
    expect(pipelines.hash(pipelines.resolve({ ...fast, afterglow: { level: 0 } }))).toBe(
      pipelines.hash(fast),
    );
    // The hash is the sha256 of the canonical JSON without the key (as before it existed).
    expect(pipelines.hash(fast)).toBe(
      createHash('sha256')
        .update(canonicalJson(JSON.parse(JSON.stringify(fast))))
        .digest('hex'),
    );
    expect(canonicalJson(fast)).not.toMatch(/afterglow/);
  });

  it.each([
    [{ ...base, afterglow: { level: 1 } }, 'engine.pipeline.afterglow.level', /must be < 1/],
    [{ ...base, afterglow: { level: -0.1 } }, 'engine.pipeline.afterglow.level', /must be >= 0/],
    [{ ...base, afterglow: { level: 0.2, tau: 0 } }, 'engine.pipeline.afterglow.tau', /must be > 0/],
    [{ ...base, afterglow: { level: 0.2, decay: 3 } }, 'engine.pipeline.afterglow.decay', /unknown key/],
  ])('rejects %j naming the field', (input, field, message) => {
    const e = errorOf(() => pipelines.resolve(input, 'engine.pipeline'));
    expect(e.field).toBe(field);
    expect(e.message).toMatch(message);
  });

  it('holds scores up to level × threshold × the decayed maximum, and flags nothing more', () => {
    const plain = pipelines.create(pipelines.resolve({ ...base, afterglow: { level: 0 } }));
    const glowing = pipelines.create(pipelines.resolve({ ...base, afterglow: { level: 0.5, tau: 20 } }));
    const decay = Math.exp(-1 / 20);
    let max = 0;
    let lifted = 0;
    for (let i = 0; i < s.values.length; i++) {
      const p = plain.step(s.ts[i]!, s.values[i]!);
      const g = glowing.step(s.ts[i]!, s.values[i]!);
      expect(g.score).toBe(Math.max(p.score, 0.5 * 0.8 * max * decay));
      expect(g.anomalous).toBe(p.anomalous);
      if (g.score > p.score) lifted++;
      max = Math.max(p.score, max * decay);
    }
    expect(lifted).toBeGreaterThan(100);
  });

  it('restores its glow with the rest of the state, bit for bit', () => {
    const decl = pipelines.resolve({ ...base, afterglow: { level: 0.5, tau: 20 } });
    const a = pipelines.create(decl);
    let high = -1;
    for (let i = 0; i < 1500 && high < 0; i++) if (a.step(s.ts[i]!, s.values[i]!).score > 0.5) high = i;
    expect(high).toBeGreaterThanOrEqual(0);
    const state = JSON.parse(JSON.stringify(a.snapshot()));
    expect(state.glow).toBeGreaterThan(0.5);
    const b = pipelines.create(decl, state);
    for (let i = high + 1; i < Math.min(1500, high + 200); i++) {
      expect(b.step(s.ts[i]!, s.values[i]!)).toEqual(a.step(s.ts[i]!, s.values[i]!));
      expect(b.score(s.ts[i]!, s.values[i]!)).toEqual(a.score(s.ts[i]!, s.values[i]!));
    }
  });
});
