/**
 * parseJsonExact: JSON.parse's values, with escaped object keys decoded exactly even after another
 * parse left V8 the hidden-class transition that makes JSON.parse misread them (nodejs/node#63785).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonPoints, parseNdjsonPoints } from '../../../../src/adapters/ingest/json.ts';
import { parseJsonExact } from '../../../../src/core/json-exact.ts';
import { LIMITS } from './helpers.ts';

/** Leaves V8 an object transition on a key of two backslashes after the key `n`. */
const poison = () => JSON.parse(String.raw`{"n":"a","\\\\":0}`);

describe('parseJsonExact', () => {
  it('reads an escaped key as written after a parse that left a transition matching its raw text', () => {
    poison();
    expect(Object.keys(parseJsonExact(String.raw`{"n":"a","\\h":1}`) as object)).toEqual(['n', '\\h']);
    poison();
    expect(Object.keys(parseJsonExact(String.raw`{"n":"a","\\n":1,"\"":2}`) as object)).toEqual([
      'n',
      '\\n',
      '"',
    ]);
  });

  it('files ingested points under the tag names they were sent with', () => {
    const line = String.raw`{"metric":"m","tags":{"n":"a","\\h":"x"},"ts":1000,"value":1}`;
    poison();
    expect(parseNdjsonPoints(line, LIMITS).points[0]!.tags).toEqual({ n: 'a', '\\h': 'x' });
    poison();
    expect(parseJsonPoints(`{"points":[${line}]}`, LIMITS).points[0]!.tags).toEqual({ n: 'a', '\\h': 'x' });
  });

  it('gives JSON.parse values: own __proto__, the last repeated name in the first place, -0, exponents', () => {
    const got = parseJsonExact(
      String.raw`{"__proto__":{"x":1},"a":1,"b\n":[true,false,null,-0,1e400,"\u00e9\ud800"],"a":2}`,
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(['__proto__', 'a', 'b\n']);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual({ x: 1 });
    expect(got.a).toBe(2);
    const arr = got['b\n'] as unknown[];
    expect(arr.slice(0, 3)).toEqual([true, false, null]);
    expect(Object.is(arr[3], -0)).toBe(true);
    expect(arr[4]).toBe(Number.POSITIVE_INFINITY);
    expect(arr[5]).toBe('é\ud800');
  });

  it('reports what JSON.parse reports for invalid JSON', () => {
    for (const bad of ['{"a\\x":1}', '{"a":1,}', '["\\u12"]', '{"a"\n:}']) {
      let want: unknown;
      try {
        JSON.parse(bad);
      } catch (err) {
        want = (err as Error).message;
      }
      expect(() => parseJsonExact(bad)).toThrow(want as string);
    }
  });

  it('round-trips any JSON value, keys with escapes included, compact or indented', () => {
    const key = fc.string({
      unit: fc.constantFrom('\\', '"', '\n', '\u0001', 'h', 'n', 'é', '\ud800', '/', 'u'),
      maxLength: 4,
    });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 5 }), fc.boolean(), (v, indent) => {
        const compact = JSON.stringify(v);
        poison();
        const got = parseJsonExact(indent ? JSON.stringify(v, null, 2) : compact);
        // Same names, order, values: stringifying what was read gives the text back.
        expect(JSON.stringify(got)).toBe(compact);
      }),
      { numRuns: 2000 },
    );
  });
});
