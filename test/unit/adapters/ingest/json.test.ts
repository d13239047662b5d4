import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJsonPoints, encodeNdjsonPoints } from '../../../../src/adapters/ingest/encode.ts';
import { parseJsonPoints, parseNdjsonPoints } from '../../../../src/adapters/ingest/json.ts';
import type { ErrorCode, ErrorLocation } from '../../../../src/core/errors.ts';
import { checkInvariants, expectSamePoints, LIMITS, pointsArb, rejection, T0 } from './helpers.ts';

const body = (...points: unknown[]) => JSON.stringify({ points });
const pt = (extra: Record<string, unknown> = {}) => ({
  metric: 'cpu',
  tags: { host: 'a' },
  ts: T0,
  value: 1.5,
  ...extra,
});
const without = (field: string) => {
  const p: Record<string, unknown> = pt();
  delete p[field];
  return p;
};

describe('parseJsonPoints', () => {
  it('parses points with tags, ms and RFC 3339 timestamps, and optional tags', () => {
    const got = parseJsonPoints(
      body(pt(), { metric: 'cpu', ts: '2023-11-14T22:13:20.250+01:00', value: -2 }, { ...pt(), ts: T0 + 1 }),
      LIMITS,
    );
    expect(got.skipped).toEqual({});
    expect(got.points).toEqual([
      { metric: 'cpu', tags: { host: 'a' }, ts: T0, value: 1.5 },
      { metric: 'cpu', tags: {}, ts: T0 - 3_600_000 + 250, value: -2 },
      { metric: 'cpu', tags: { host: 'a' }, ts: T0 + 1, value: 1.5 },
    ]);
    checkInvariants(got, LIMITS);
  });

  it('accepts an empty batch and out-of-order points of one series', () => {
    expect(parseJsonPoints('{"points":[]}', LIMITS).points).toEqual([]);
    const got = parseJsonPoints(body(pt({ ts: 3 }), pt({ ts: 1 }), pt({ ts: 2 })), LIMITS);
    expect(got.points.map((p) => p.ts)).toEqual([3, 1, 2]);
  });

  it('shares one tags object per series', () => {
    const got = parseJsonPoints(body(pt({ ts: 1 }), pt({ ts: 2, tags: { host: 'a' } })), LIMITS);
    expect(got.points[0]!.tags).toBe(got.points[1]!.tags);
  });

  const bad: [string, string, ErrorCode, ErrorLocation, RegExp?][] = [
    ['truncated JSON', '{"points": [', 'VIGIL_ERR_BAD_JSON', { line: 1 }, /^line 1, column 13: invalid JSON/],
    [
      'a syntax error on line 3',
      '{\n"points": [\n{"metric": x}]}',
      'VIGIL_ERR_BAD_JSON',
      { line: 3 },
      /^line 3, column 12: invalid JSON/,
    ],
    ['a top-level array', '[]', 'VIGIL_ERR_BAD_JSON', {}],
    [
      'an unknown top-level field',
      '{"points":[],"extra":1}',
      'VIGIL_ERR_BAD_JSON',
      { field: 'extra' },
      /`extra`/,
    ],
    ['no points', '{}', 'VIGIL_ERR_BAD_JSON', { field: 'points' }, /missing/],
    ['points not an array', '{"points":{}}', 'VIGIL_ERR_BAD_JSON', { field: 'points' }],
    ['a point that is a number', body(pt(), 1), 'VIGIL_ERR_BAD_POINT', { index: 1 }, /points\[1\]/],
    ['a point that is null', body(null), 'VIGIL_ERR_BAD_POINT', { index: 0 }],
    ['a missing metric', body(without('metric')), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'metric' }],
    ['a numeric metric', body(pt({ metric: 5 })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'metric' }],
    ['an empty metric', body(pt({ metric: '' })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'metric' }],
    [
      'a control char in metric',
      body(pt({ metric: 'a\nb' })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'metric' },
    ],
    ['tags as an array', body(pt({ tags: ['a'] })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'tags' }],
    ['tags as null', body(pt({ tags: null })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'tags' }],
    [
      'a numeric tag value',
      body(pt({ tags: { host: 1 } })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'tags.host' },
    ],
    [
      'an empty tag value',
      body(pt({ tags: { host: '' } })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'tags.host' },
    ],
    [
      'a too long tag value',
      body(pt({ tags: { host: 'x'.repeat(2000) } })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'tags.host' },
    ],
    [
      '33 tags',
      body(pt({ tags: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`t${i}`, 'v'])) })),
      'VIGIL_ERR_TOO_MANY_TAGS',
      { index: 0, field: 'tags' },
    ],
    [
      '100,000 tags',
      body(pt({ tags: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`t${i}`, 'v'])) })),
      'VIGIL_ERR_TOO_MANY_TAGS',
      { index: 0, field: 'tags' },
    ],
    ['a missing ts', body(pt(), without('ts')), 'VIGIL_ERR_BAD_POINT', { index: 1, field: 'ts' }, /missing/],
    ['a boolean ts', body(pt({ ts: true })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'ts' }],
    [
      'a ts that is not a date',
      body(pt({ ts: 'yesterday' })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'ts' },
    ],
    [
      'February 30th',
      body(pt({ ts: '2024-02-30T00:00:00Z' })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'ts' },
    ],
    [
      'an RFC 3339 ts without offset',
      body(pt({ ts: '2024-02-01T00:00:00' })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'ts' },
    ],
    ['a negative ts', body(pt({ ts: -1 })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'ts' }],
    ['a ts after 2999', body(pt({ ts: 4e13 })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'ts' }],
    ['a string value', body(pt({ value: '1.5' })), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'value' }],
    [
      'a null value (NaN in JSON.stringify)',
      body(pt({ value: Number.NaN })),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'value' },
    ],
    [
      'an infinite value',
      '{"points":[{"metric":"a","ts":1,"value":1e999}]}',
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'value' },
      /finite/,
    ],
    ['a missing value', body(without('value')), 'VIGIL_ERR_BAD_POINT', { index: 0, field: 'value' }],
    [
      'an unknown point field',
      body(pt(), pt({ valeu: 1 })),
      'VIGIL_ERR_BAD_POINT',
      { index: 1, field: 'valeu' },
      /`valeu`/,
    ],
    [
      'a duplicate point',
      body(pt({ ts: 1 }), pt({ ts: 2 }), pt({ ts: 1, value: 9 })),
      'VIGIL_ERR_DUPLICATE_POINT',
      { index: 2, field: 'ts' },
      /points\[2\].*points\[0\]/,
    ],
    [
      'a duplicate after out-of-order points',
      body(pt({ ts: 5 }), pt({ ts: 3, metric: 'mem' }), pt({ ts: 2 }), pt({ ts: 5 })),
      'VIGIL_ERR_DUPLICATE_POINT',
      { index: 3, field: 'ts' },
      /already appears at points\[0\]/,
    ],
    [
      'a duplicate with tags in another order',
      body(pt({ tags: { a: '1', b: '2' } }), pt({ tags: { b: '2', a: '1' } })),
      'VIGIL_ERR_DUPLICATE_POINT',
      { index: 1, field: 'ts' },
    ],
    [
      'more than maxPoints points',
      body(...Array.from({ length: 1001 }, (_, i) => pt({ ts: i }))),
      'VIGIL_ERR_BATCH_TOO_LARGE',
      { index: 1000 },
    ],
  ];
  it.each(bad)('rejects %s', (_name, text, code, location, message) => {
    const err = rejection(() => parseJsonPoints(text, LIMITS));
    expect(err.code).toBe(code);
    expect(err.location).toEqual(location);
    if (message) expect(err.message).toMatch(message);
  });

  it('round-trips encodeJsonPoints', () => {
    fc.assert(
      fc.property(pointsArb(), (points) => {
        const noNegZero = points.map((p) => ({ ...p, value: p.value === 0 ? 0 : p.value }));
        expectSamePoints(parseJsonPoints(encodeJsonPoints(noNegZero), LIMITS).points, noNegZero);
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseNdjsonPoints', () => {
  const line = (p: unknown) => JSON.stringify(p);

  it('parses one point per line, ignoring blank lines, with LF or CRLF', () => {
    const text = `${line(pt({ ts: 1 }))}\r\n\r\n  \n${line(pt({ ts: 2 }))}\n`;
    const got = parseNdjsonPoints(text, LIMITS);
    expect(got.points.map((p) => p.ts)).toEqual([1, 2]);
    expect(parseNdjsonPoints('', LIMITS).points).toEqual([]);
  });

  const bad: [string, string, ErrorCode, ErrorLocation, RegExp?][] = [
    [
      'bad JSON on line 3',
      `${line(pt({ ts: 1 }))}\n\n{"metric":`,
      'VIGIL_ERR_BAD_JSON',
      { line: 3 },
      /^line 3, column 11: /,
    ],
    ['an array line', `${line(pt())}\n[1]`, 'VIGIL_ERR_BAD_POINT', { line: 2 }, /^line 2: /],
    [
      'an unknown field',
      `${line(pt())}\n${line(pt({ ts: 2, extra: 1 }))}`,
      'VIGIL_ERR_BAD_POINT',
      { line: 2, field: 'extra' },
    ],
    ['a bad ts', `\n${line(pt({ ts: 'soon' }))}`, 'VIGIL_ERR_BAD_POINT', { line: 2, field: 'ts' }],
    [
      'a duplicate',
      `${line(pt())}\n\n${line(pt({ metric: 'x' }))}\n${line(pt())}`,
      'VIGIL_ERR_DUPLICATE_POINT',
      { line: 4, field: 'ts' },
      /line 4: .*already appears at line 1/,
    ],
    [
      'more than maxPoints points',
      `\n${Array.from({ length: 1001 }, (_, i) => line(pt({ ts: i }))).join('\n')}`,
      'VIGIL_ERR_BATCH_TOO_LARGE',
      { line: 1002 },
    ],
  ];
  it.each(bad)('rejects %s', (_name, text, code, location, message) => {
    const err = rejection(() => parseNdjsonPoints(text, LIMITS));
    expect(err.code).toBe(code);
    expect(err.location).toEqual(location);
    if (message) expect(err.message).toMatch(message);
  });

  it('round-trips encodeNdjsonPoints', () => {
    fc.assert(
      fc.property(pointsArb(), (points) => {
        const noNegZero = points.map((p) => ({ ...p, value: p.value === 0 ? 0 : p.value }));
        expectSamePoints(parseNdjsonPoints(encodeNdjsonPoints(noNegZero), LIMITS).points, noNegZero);
      }),
      { numRuns: 200 },
    );
  });
});
