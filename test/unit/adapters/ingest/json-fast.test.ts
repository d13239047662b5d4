/**
 * The JSON fast path against the reference parser. Whenever parseJsonPointsFast returns a batch it
 * must equal the reference parser's (points, keys, skipped, -0, property order, shared tags
 * objects); otherwise it must return undefined. parseJsonPoints, which tries it first, must behave
 * exactly as the reference: same batch, or the same error code, location and message.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { IngestBatch } from '../../../../src/adapters/ingest/batch.ts';
import { parseJsonPoints, parseJsonPointsReference } from '../../../../src/adapters/ingest/json.ts';
import { clearJsonSeriesMemo, parseJsonPointsFast } from '../../../../src/adapters/ingest/json-fast.ts';
import { isVigilError } from '../../../../src/core/errors.ts';
import { DEFAULT_SERIES_LIMITS } from '../../../../src/core/series.ts';
import { looksLikeSeconds, parseTimestamp } from '../../../../src/core/time.ts';
import type { IngestLimits } from '../../../../src/ports/ingest-format.ts';
import { FUZZ_RUNS, LIMITS, mutate, mutationsArb, SMALL_LIMITS, T0 } from './helpers.ts';

/** Every point is known but the ones whose key has a length divisible by 3, valid or not. */
const KNOWN_LIMITS: IngestLimits = { ...SMALL_LIMITS, knownSeries: (key) => key.length % 3 !== 0 };
const ALL_LIMITS = [LIMITS, SMALL_LIMITS, KNOWN_LIMITS];

type Outcome = { batch: IngestBatch } | { error: { code: string; location: unknown; message: string } };

function outcome(parse: () => IngestBatch): Outcome {
  try {
    return { batch: parse() };
  } catch (err) {
    if (!isVigilError(err)) throw err;
    return { error: { code: err.code, location: err.location, message: err.message } };
  }
}

/** Equal as the reference defines it, strictly: -0, tag order and which points share tags too. */
function expectSameBatch(got: IngestBatch, want: IngestBatch): void {
  expect(got.skipped).toEqual(want.skipped);
  expect(got.keys).toEqual(want.keys);
  expect(got.points.length).toBe(want.points.length);
  for (let i = 0; i < want.points.length; i++) {
    const g = got.points[i]!;
    const w = want.points[i]!;
    expect(g.metric).toBe(w.metric);
    expect(Object.is(g.ts, w.ts), `ts of point ${i}: ${g.ts} vs ${w.ts}`).toBe(true);
    expect(Object.is(g.value, w.value), `value of point ${i}: ${g.value} vs ${w.value}`).toBe(true);
    expect(Object.entries(g.tags)).toEqual(Object.entries(w.tags));
    expect(Object.getPrototypeOf(g.tags)).toBe(Object.getPrototypeOf(w.tags));
    expect(Object.keys(g)).toEqual(Object.keys(w));
  }
  // Which points share one tags object: each point named by the first point with its tags.
  const sharing = (b: IngestBatch) => {
    const first = new Map<object, number>();
    return b.points.map((p, i) => {
      if (!first.has(p.tags)) first.set(p.tags, i);
      return first.get(p.tags);
    });
  };
  expect(sharing(got)).toEqual(sharing(want));
}

/**
 * The differential check: the fast path's batch, if any, is the reference's; the public parser's
 * outcome is the reference's. Returns the fast path's answer.
 */
function differential(text: string, limits: IngestLimits): IngestBatch | undefined {
  const fast = parseJsonPointsFast(text, limits);
  const want = outcome(() => parseJsonPointsReference(text, limits));
  if (fast !== undefined) {
    if (!('batch' in want))
      throw new Error(`fast path accepted what the reference rejects: ${want.error.message}`);
    expectSameBatch(fast, want.batch);
  }
  const got = outcome(() => parseJsonPoints(text, limits));
  if ('batch' in want) {
    if (!('batch' in got)) throw new Error(`parseJsonPoints rejected: ${got.error.message}`);
    expectSameBatch(got.batch, want.batch);
  } else {
    expect(got).toEqual(want);
  }
  return fast;
}

// --- generated requests -------------------------------------------------------------------------

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });

/** Any JSON number by the grammar: signs, zeros, long mantissas, exponents up to 4 digits. */
const grammarNumber = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      fc.tuple(fc.constantFrom(...'123456789'), digits(0, 24)).map(([a, b]) => a + b),
    ),
    fc.option(digits(1, 24)),
    fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 4))),
  )
  .map(
    ([negative, int, frac, exp]) =>
      `${negative ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : exp.join('')}`,
  );

/** A double written as JavaScript writes it, in one of several notations. */
const doubleNumber = fc
  .tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.nat(4), fc.integer({ min: 1, max: 21 }))
  .map(([d, style, k]) => {
    switch (style) {
      case 0:
        return String(d);
      case 1:
        return d.toExponential(k - 1);
      case 2:
        return d.toPrecision(k);
      case 3:
        return String(d).toUpperCase();
      default:
        return d.toFixed(Math.min(k, 20));
    }
  });

const numberLiteral = fc.oneof(
  doubleNumber,
  grammarNumber,
  fc.constantFrom(
    '-0',
    '-0.0',
    '0e5',
    '-0E-5',
    '1e400',
    '-1e400',
    '1e-400',
    '9007199254740993',
    '1e22',
    '1e23',
  ),
);

/** A ts literal near T0 in some notation; its floor is T0 + offset. */
const tsLiteral = (offset: number) =>
  fc.constantFrom(0, 1, 2, 3, 4).map((style) => {
    const ts = T0 + offset;
    switch (style) {
      case 0:
        return String(ts);
      case 1:
        return `${ts}.25`;
      case 2:
        return `${ts / 1000}e3`;
      case 3:
        return `${ts}0E-1`;
      default:
        return `${ts}.0`;
    }
  });

const JSON_WS = fc.array(fc.constantFrom('', '', '', '', ' ', '\n', '\t', '\r\n', '  '), {
  minLength: 1,
  maxLength: 12,
});

/** Names and values that need no escape and pass validation: what the fast path must take. */
const plainMetric = fc.constantFrom('cpu', 'bench_cpu', 'mem.used', 'métrique', '温度', 'a b', 'x{y}', 'e😀');
const plainName = fc.constantFrom('host', 'dc', 'region', 'a', 'b', '1', '0', '__proto__', 'x y', 'k=v', 'é');
const plainValue = fc.string({
  unit: fc.constantFrom(...'ab1-_.:é'.split(''), '😀', ' '),
  minLength: 1,
  maxLength: 6,
});

/** Anything goes: escapes, control characters, empty and long strings. */
const wildString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', '\u0000', '\u007f', 'é', '\ud800'), maxLength: 4 }),
  fc.constant('x'.repeat(50)),
);

interface Series {
  metric: string;
  tags: [string, string][] | undefined;
}

interface PointSpec {
  series: number;
  ts: string;
  value: string;
  /** Field order, a permutation of 0..3 (metric, tags, ts, value). */
  order: number[];
  /** Write the tags in reverse order this time: the same series, other text. */
  reverseTags: boolean;
}

const seriesArb = (metric: fc.Arbitrary<string>, name: fc.Arbitrary<string>, value: fc.Arbitrary<string>) =>
  fc.record({
    metric,
    // Names unique within a tag set: a repeated name is refused (json-shape.ts), not a common shape.
    tags: fc.option(fc.uniqueArray(fc.tuple(name, value), { maxLength: 5, selector: ([n]) => n }), {
      nil: undefined,
    }),
  });

const orderArb = fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4 });

/** Renders points as JSON text with the whitespace `ws` cycled through between tokens. */
function render(series: Series[], points: PointSpec[], ws: string[]): string {
  let k = 0;
  const w = () => ws[k++ % ws.length]!;
  let out = `${w()}{${w()}"points"${w()}:${w()}[${w()}`;
  points.forEach((p, i) => {
    const s = series[p.series % series.length]!;
    const tags = s.tags === undefined ? undefined : p.reverseTags ? [...s.tags].reverse() : s.tags;
    const fields = p.order.flatMap((f) => {
      switch (f) {
        case 0:
          return [`"metric"${w()}:${w()}${JSON.stringify(s.metric)}`];
        case 1:
          if (tags === undefined) return [];
          return [
            `"tags"${w()}:${w()}{${w()}${tags.map(([n, v]) => `${JSON.stringify(n)}${w()}:${w()}${JSON.stringify(v)}`).join(`${w()},${w()}`)}${w()}}`,
          ];
        case 2:
          return [`"ts"${w()}:${w()}${p.ts}`];
        default:
          return [`"value"${w()}:${w()}${p.value}`];
      }
    });
    out += `${i > 0 ? `,${w()}` : ''}{${w()}${fields.join(`${w()},${w()}`)}${w()}}${w()}`;
  });
  return `${out}]${w()}}${w()}`;
}

/** Requests in the common shape: the fast path must take every one of them. */
const plainRequest = fc
  .tuple(
    fc.array(seriesArb(plainMetric, plainName, plainValue), { minLength: 1, maxLength: 12 }),
    fc.array(
      fc.record({
        series: fc.nat(20),
        value: doubleNumber.filter((lit) => Number.isFinite(Number(lit))),
        order: orderArb,
        reverseTags: fc.boolean(),
      }),
      { maxLength: 30 },
    ),
    JSON_WS,
  )
  .chain(([series, raw, ws]) =>
    // ts increase along the request, so no series repeats one or goes back in time.
    fc.tuple(...raw.map((_, i) => tsLiteral(i))).map((ts) => {
      const points = raw.map((p, i) => ({ ...p, ts: ts[i]! }));
      return { series, points, ws, text: render(series, points, ws) };
    }),
  );

/** Requests that are mostly valid: repeated and out-of-order ts, wild strings, odd numbers. */
const wildRequest = fc
  .tuple(
    fc.array(
      seriesArb(
        fc.oneof({ weight: 8, arbitrary: plainMetric }, { weight: 1, arbitrary: wildString }),
        fc.oneof({ weight: 8, arbitrary: plainName }, { weight: 1, arbitrary: wildString }),
        fc.oneof({ weight: 8, arbitrary: plainValue }, { weight: 1, arbitrary: wildString }),
      ),
      { minLength: 1, maxLength: 8 },
    ),
    fc.array(
      fc.record({
        series: fc.nat(20),
        ts: fc.oneof(
          { weight: 12, arbitrary: fc.nat(60).map((d) => String(T0 + d)) },
          { weight: 1, arbitrary: numberLiteral },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '"2023-11-14T22:13:20Z"',
              '-1',
              '32503680000000',
              '32503680000001',
              '1e13',
            ),
          },
        ),
        value: fc.oneof({ weight: 8, arbitrary: doubleNumber }, { weight: 1, arbitrary: numberLiteral }),
        order: orderArb,
        reverseTags: fc.boolean(),
      }),
      { maxLength: 25 },
    ),
    JSON_WS,
  )
  .map(([series, points, ws]) => render(series, points, ws));

/** Clears the memo on some runs, so that both cold and warm lookups are compared. */
const clearArb = fc.nat(9).map((n) => n === 0);
const limitsArb = fc.constantFrom(...ALL_LIMITS);

describe('parseJsonPointsFast', () => {
  it(`reads every number as JSON.parse does, to the bit (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(numberLiteral, (lit) => {
        const value = parseJsonPointsFast(`{"points":[{"metric":"m","ts":0,"value":${lit}}]}`, LIMITS);
        const want = JSON.parse(lit) as number;
        if (Number.isFinite(want)) expect(Object.is(value?.points[0]?.value, want), lit).toBe(true);
        else expect(value).toBeUndefined();
        const ts = parseJsonPointsFast(`{"points":[{"metric":"m","ts":${lit},"value":0}]}`, LIMITS);
        const wantTs = parseTimestamp(want);
        if (Number.isNaN(wantTs) || looksLikeSeconds(wantTs)) expect(ts).toBeUndefined();
        else expect(Object.is(ts?.points[0]?.ts, wantTs), lit).toBe(true);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`takes every request of the common shape, with the reference's result (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(plainRequest, clearArb, ({ text }, clear) => {
        if (clear) clearJsonSeriesMemo();
        expect(differential(text, LIMITS)).toBeDefined();
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`equals the reference or steps aside on mostly valid requests (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(wildRequest, limitsArb, clearArb, (text, limits, clear) => {
        if (clear) clearJsonSeriesMemo();
        differential(text, limits);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`equals the reference or steps aside on mutated requests (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        plainRequest,
        mutationsArb('{}[]":,.-+eE0159 \n\t\r\\u\u00a0\u000c\ufeff\u2028xnul'),
        limitsArb,
        clearArb,
        ({ text }, mutations, limits, clear) => {
          if (clear) clearJsonSeriesMemo();
          differential(mutate(text, mutations), limits);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives arbitrary text and JSON values (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc.json({ maxDepth: 3 }),
          fc.json({ maxDepth: 3 }).map((j) => `{"points":[${j}]}`),
        ),
        limitsArb,
        (text, limits) => {
          differential(text, limits);
        },
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  const point = (fields: string) => `{"points":[${fields}]}`;
  const steps = (name: string, text: string, limits: IngestLimits = LIMITS) => [name, text, limits] as const;
  it.each([
    steps('an escape in a string', point('{"metric":"c\\u0070u","ts":1,"value":1}')),
    steps('an escaped field name', point('{"m\\u0065tric":"cpu","ts":1,"value":1}')),
    steps('an RFC 3339 ts', point('{"metric":"cpu","ts":"2023-11-14T22:13:20Z","value":1}')),
    steps('an unknown field', point('{"metric":"cpu","ts":1,"value":1,"unit":"s"}')),
    steps('a repeated field', point('{"metric":"cpu","ts":1,"value":1,"value":2}')),
    steps('a missing value', point('{"metric":"cpu","ts":1}')),
    steps('tags null', point('{"metric":"cpu","tags":null,"ts":1,"value":1}')),
    steps('a numeric tag value', point('{"metric":"cpu","tags":{"a":1},"ts":1,"value":1}')),
    steps('an infinite value', point('{"metric":"cpu","ts":1,"value":1e400}')),
    steps('a NaN literal', point('{"metric":"cpu","ts":1,"value":NaN}')),
    steps('a leading zero', point('{"metric":"cpu","ts":01,"value":1}')),
    steps('a leading plus', point('{"metric":"cpu","ts":1,"value":+1}')),
    steps('a bare dot', point('{"metric":"cpu","ts":1,"value":1.}')),
    steps('a trailing comma in a point', point('{"metric":"cpu","ts":1,"value":1,}')),
    steps('a trailing comma in points', '{"points":[{"metric":"cpu","ts":1,"value":1},]}'),
    steps('a trailing comma in tags', point('{"metric":"cpu","tags":{"a":"b",},"ts":1,"value":1}')),
    steps('a ts beyond 2^53', point('{"metric":"cpu","ts":9007199254740993,"value":1}')),
    steps('a negative ts', point('{"metric":"cpu","ts":-1,"value":1}')),
    steps('an empty metric', point('{"metric":"","ts":1,"value":1}')),
    steps('a DEL in a tag value', point('{"metric":"cpu","tags":{"a":"\u007f"},"ts":1,"value":1}')),
    steps('a raw control character', point('{"metric":"c\tpu","ts":1,"value":1}')),
    steps('a duplicate point', point('{"metric":"cpu","ts":1,"value":1},{"metric":"cpu","ts":1,"value":2}')),
    steps(
      'out-of-order points of one series',
      point('{"metric":"c","ts":2,"value":1},{"metric":"c","ts":1,"value":1}'),
    ),
    steps(
      'a duplicate written with its tags in another order',
      point(
        '{"metric":"c","tags":{"a":"1","b":"2"},"ts":1,"value":1},{"metric":"c","tags":{"b":"2","a":"1"},"ts":1,"value":1}',
      ),
    ),
    steps(
      'more points than maxPoints',
      point(Array.from({ length: 21 }, (_, i) => `{"metric":"c","ts":${i},"value":1}`).join()),
      SMALL_LIMITS,
    ),
    steps(
      'more tags than maxTagsPerSeries',
      point('{"metric":"c","tags":{"a":"1","b":"2","c":"3","d":"4","e":"5"},"ts":1,"value":1}'),
      SMALL_LIMITS,
    ),
    steps('a top-level field besides points', '{"points":[],"x":1}'),
    steps('points given twice', '{"points":[],"points":[]}'),
    steps('a byte order mark', '\ufeff{"points":[]}'),
    steps('a non-JSON space', '{"points":\u00a0[]}'),
    steps('text after the body', '{"points":[]} x'),
    steps('a top-level array', '[]'),
    steps('an empty body', ''),
  ])('steps aside for %s', (_name, text, limits) => {
    expect(parseJsonPointsFast(text, limits)).toBeUndefined();
    differential(text, limits);
  });

  it('takes the shape of `vigil bench ingest`', () => {
    const text = `{"points":[${Array.from(
      { length: 100 },
      (_, s) =>
        `{"metric":"bench_cpu","tags":{"host":"h${s}","dc":"d${s % 4}"},"ts":${T0},"value":${(50 + s / 8).toFixed(3)}}`,
    ).join(',')}]}`;
    clearJsonSeriesMemo();
    expect(differential(text, LIMITS)).toBeDefined(); // cold
    expect(differential(text, LIMITS)).toBeDefined(); // warm
  });

  it('keeps -0, floors fractional ts and reads exponents', () => {
    const got = differential(
      point('{"metric":"m","ts":-0,"value":-0},{"metric":"n","ts":1.7e12,"value":-0.0e3}'),
      LIMITS,
    );
    expect(Object.is(got!.points[0]!.ts, -0)).toBe(true);
    expect(Object.is(got!.points[0]!.value, -0)).toBe(true);
    expect(got!.points[1]!.ts).toBe(1.7e12);
    expect(differential(point('{"metric":"m","ts":1.9,"value":1}'), LIMITS)!.points[0]!.ts).toBe(1);
  });

  it('reads `__proto__` and integer-like tag names as JSON.parse does', () => {
    const text = point('{"metric":"m","tags":{"b":"1","__proto__":"x","2":"y","1":"z"},"ts":1,"value":1}');
    const got = differential(text, LIMITS)!;
    expect(Object.keys(got.points[0]!.tags)).toEqual(['1', '2', 'b', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(got.points[0]!.tags, '__proto__')?.value).toBe('x');
  });

  it('leaves a repeated tag name to the reference path, which refuses it', () => {
    const text = point('{"metric":"m","tags":{"b":"1","b":"last"},"ts":1,"value":1}');
    clearJsonSeriesMemo();
    expect(parseJsonPointsFast(text, LIMITS)).toBeUndefined();
    expect(() => parseJsonPointsReference(text, LIMITS)).toThrow(/key `b` appears twice/);
  });

  it('keeps unescaped non-ASCII text and lone surrogates as they are', () => {
    const text = point('{"metric":"温度","tags":{"a":"x\ud800y","é":"😀"},"ts":1,"value":1}');
    clearJsonSeriesMemo();
    expect(differential(text, LIMITS)?.points[0]?.tags).toEqual({ a: 'x\ud800y', é: '😀' });
    expect(differential(text, LIMITS)?.points[0]?.tags).toEqual({ a: 'x\ud800y', é: '😀' }); // memoised
  });

  it('shares one frozen tags object per series, across requests too', () => {
    const text = point(
      '{"metric":"cpu","tags":{"host":"a"},"ts":1,"value":1},{"metric":"cpu","tags":{"host":"a"},"ts":2,"value":1}',
    );
    const a = differential(text, LIMITS)!;
    const b = differential(text, LIMITS)!;
    expect(a.points[0]!.tags).toBe(a.points[1]!.tags);
    expect(b.points[0]!.tags).toBe(a.points[0]!.tags);
    expect(Object.isFrozen(a.points[0]!.tags)).toBe(true);
  });

  it('validates a memoised series again under other limits, and asks knownSeries as the reference does', () => {
    const text = point(
      '{"metric":"cpu","tags":{"host":"a-rather-long-host-name-over-forty-characters"},"ts":1,"value":1}',
    );
    clearJsonSeriesMemo();
    expect(differential(text, LIMITS)).toBeDefined();
    expect(differential(text, SMALL_LIMITS)).toBeUndefined(); // the value is too long there
    const asked: string[] = [];
    const known: IngestLimits = { ...SMALL_LIMITS, knownSeries: (key) => asked.push(key) > 0 };
    expect(differential(text, known)).toBeDefined(); // known, so never validated: accepted
    expect(asked[0]).toBe('cpu{host="a-rather-long-host-name-over-forty-characters"}');
  });

  it('finds duplicates of series too long to memoise, however they are written', () => {
    const long = 'v'.repeat(300);
    const at = (tags: string, ts: number) => `{"metric":"m","tags":${tags},"ts":${ts},"value":1}`;
    const ab = `{"a":"${long}","b":"1"}`;
    const ba = `{"b":"1","a":"${long}"}`;
    expect(differential(point([at(ab, 1), at(ba, 2), at(ab, 3)].join()), LIMITS)?.points.length).toBe(3);
    expect(differential(point([at(ab, 1), at(ba, 2), at(ba, 1)].join()), LIMITS)).toBeUndefined();
    // A short series written in so much whitespace that this text of it is not memoised.
    const spaced = `{${' '.repeat(600)}"a":"1"}`;
    expect(differential(point([at('{"a":"1"}', 1), at(spaced, 2)].join()), LIMITS)?.points.length).toBe(2);
    expect(differential(point([at('{"a":"1"}', 1), at(spaced, 1)].join()), LIMITS)).toBeUndefined();
    expect(differential(point([at(spaced, 1), at('{"a":"1"}', 1)].join()), LIMITS)).toBeUndefined();
  });

  it('leaves a parse started from inside another to the reference path', () => {
    const inner = point('{"metric":"in","ts":1,"value":1}');
    let nested: IngestBatch | undefined;
    const limits: IngestLimits = {
      ...LIMITS,
      knownSeries: () => {
        nested ??= parseJsonPointsFast(inner, LIMITS) ?? parseJsonPoints(inner, LIMITS);
        return false;
      },
    };
    clearJsonSeriesMemo();
    expect(parseJsonPointsFast(point('{"metric":"out","ts":1,"value":1}'), limits)).toBeDefined();
    expect(nested?.points[0]?.metric).toBe('in');
  });

  it('finds duplicates and stays exact beyond the size of its memo', () => {
    const limits: IngestLimits = { maxPoints: 40_000, series: DEFAULT_SERIES_LIMITS };
    const series = (s: number, ts = 1) =>
      `{"metric":"m","tags":{"h":"${s}","d":"x"},"ts":${ts},"value":${s}}`;
    const many = Array.from({ length: 20_000 }, (_, s) => series(s));
    clearJsonSeriesMemo();
    expect(differential(point(many.join()), limits)?.points.length).toBe(20_000);
    expect(differential(point([...many, series(0, 2)].join()), limits)?.points.length).toBe(20_001);
    // The first series again at the end, when the memo no longer takes entries: still a duplicate.
    expect(differential(point([...many, series(0)].join()), limits)).toBeUndefined();
    const reordered = '{"metric":"m","tags":{"d":"x","h":"0"},"ts":1,"value":0}';
    expect(differential(point([...many, reordered].join()), limits)).toBeUndefined();
    // Many requests of new series, more than the memo holds.
    for (let round = 0; round < 20; round++) {
      const text = point(Array.from({ length: 1000 }, (_, s) => series(round * 1000 + s, round)).join());
      expect(differential(text, LIMITS)?.points.length).toBe(1000);
    }
  });
});
