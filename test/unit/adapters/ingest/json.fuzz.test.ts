/** Property-based fuzzing of the JSON and NDJSON parsers: 4xx VigilError or valid points, nothing else. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeJsonPoints, encodeNdjsonPoints } from '../../../../src/adapters/ingest/encode.ts';
import { parseJsonPoints, parseNdjsonPoints } from '../../../../src/adapters/ingest/json.ts';
import { jsonErrorOffset } from '../../../../src/adapters/ingest/json-error.ts';
import { FUZZ_RUNS, mutate, mutationsArb, parsesOrRejects, pointsArb, SMALL_LIMITS } from './helpers.ts';

const both = (text: string) => {
  parsesOrRejects(() => parseJsonPoints(text, SMALL_LIMITS), SMALL_LIMITS);
  parsesOrRejects(() => parseNdjsonPoints(text, SMALL_LIMITS), SMALL_LIMITS);
};

/** A field value that is sometimes right and often wrong in type or range. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 1 }),
  fc.double(),
  fc.integer({ min: -10, max: 40_000_000_000_000 }),
  fc.constantFrom('2023-11-14T22:13:20Z', '2023-02-29T00:00:00Z', '1970-01-01T00:00:00.5+01:00', 'x', ''),
);
const tagsArb = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 6 }), anyValue), { maxKeys: 6 }),
  anyValue,
);
const pointArb = fc.record(
  {
    metric: fc.oneof(fc.constantFrom('cpu', 'mem', ''), fc.string({ maxLength: 6 }), anyValue),
    tags: tagsArb,
    ts: fc.oneof(fc.integer({ min: 0, max: 5 }), anyValue),
    value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

describe('JSON parsers under fuzzing', () => {
  it(`survive arbitrary text (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.json({ maxDepth: 3 })), both),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survive structurally generated points with wrong types and values (${FUZZ_RUNS} runs)`, () => {
    const bodyArb = fc.oneof(
      { weight: 4, arbitrary: fc.array(pointArb, { maxLength: 25 }).map((points) => ({ points })) },
      {
        weight: 1,
        arbitrary: fc.dictionary(fc.constantFrom('points', 'extra'), fc.oneof(anyValue, fc.array(pointArb))),
      },
    );
    fc.assert(
      fc.property(bodyArb, (body) => {
        parsesOrRejects(() => parseJsonPoints(JSON.stringify(body), SMALL_LIMITS), SMALL_LIMITS);
        const lines = Array.isArray(body['points'])
          ? body['points'].map((p) => JSON.stringify(p)).join('\n')
          : '';
        parsesOrRejects(() => parseNdjsonPoints(lines, SMALL_LIMITS), SMALL_LIMITS);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survive mutations of valid bodies, and locate every syntax error (${FUZZ_RUNS} runs)`, () => {
    const docArb = pointsArb({ maxLength: 6 }).chain((points) =>
      fc.constantFrom(encodeJsonPoints(points), encodeNdjsonPoints(points)),
    );
    fc.assert(
      fc.property(docArb, mutationsArb('{}[]":,.-+e0\\ \nxu\u0000'), (doc, mutations) => {
        const text = mutate(doc, mutations);
        both(text);
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(jsonErrorOffset(text) === -1).toBe(valid);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
