/** Shared by the ingest parser tests: limits, the invariants every result holds, error capture. */

import fc from 'fast-check';
import { expect } from 'vitest';
import type { IngestBatch } from '../../../../src/adapters/ingest/batch.ts';
import { isVigilError, type VigilError } from '../../../../src/core/errors.ts';
import { type IngestPoint, MAX_TS, MIN_TS } from '../../../../src/core/point.ts';
import { DEFAULT_SERIES_LIMITS, seriesKey, validateSeries } from '../../../../src/core/series.ts';
import { looksLikeSeconds } from '../../../../src/core/time.ts';
import type { IngestLimits } from '../../../../src/ports/ingest-format.ts';

export const LIMITS: IngestLimits = { maxPoints: 1000, series: DEFAULT_SERIES_LIMITS };

/** Tight limits, so that fuzzed inputs reach them. */
export const SMALL_LIMITS: IngestLimits = {
  maxPoints: 20,
  series: { maxTagsPerSeries: 4, maxNameLength: 40, maxTagValueLength: 40 },
};

export const T0 = 1_700_000_000_000;

/** The parser's VigilError; fails the test if it returns or throws anything else. */
export function rejection(fn: () => unknown): VigilError {
  try {
    fn();
  } catch (err) {
    if (isVigilError(err)) return err;
    throw err;
  }
  throw new Error('expected a VigilError, but the parser returned');
}

/** What every parser result must satisfy, whatever the input. */
export function checkInvariants(batch: IngestBatch, limits: IngestLimits): void {
  if (batch.points.length > limits.maxPoints) throw new Error(`${batch.points.length} points over the limit`);
  const seen = new Set<string>();
  for (const p of batch.points) {
    if (!Number.isFinite(p.value)) throw new Error(`non-finite value ${p.value}`);
    if (!Number.isInteger(p.ts) || p.ts < MIN_TS || p.ts > MAX_TS) throw new Error(`bad ts ${p.ts}`);
    validateSeries(p.metric, p.tags, limits.series, {});
    const id = `${seriesKey(p.metric, p.tags)}@${p.ts}`;
    if (seen.has(id)) throw new Error(`duplicate ${id}`);
    seen.add(id);
  }
  for (const [reason, n] of Object.entries(batch.skipped)) {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`skipped.${reason} = ${n}`);
  }
}

/**
 * The fuzz property: the parser returns a result that holds the invariants or throws a 4xx
 * VigilError. Anything else (TypeError, RangeError, a 5xx) fails the run.
 */
export function parsesOrRejects(fn: () => IngestBatch, limits: IngestLimits): void {
  let batch: IngestBatch;
  try {
    batch = fn();
  } catch (err) {
    if (!isVigilError(err)) throw err;
    if (err.status < 400 || err.status >= 500) throw new Error(`status ${err.status}: ${err.message}`);
    return;
  }
  checkInvariants(batch, limits);
}

/** Fuzz runs per property; the brief asks for at least 10,000 generated inputs per parser. */
export const FUZZ_RUNS = 10_000;

/** Points with plain names, to feed encoders; series unique per (metric, tags, ts). */
export function pointsArb(
  opts: { maxLength?: number; msMultiple?: number } = {},
): fc.Arbitrary<IngestPoint[]> {
  const name = fc.string({ unit: fc.constantFrom(...'abcxyz_0123'), minLength: 1, maxLength: 8 });
  // The field part of `<measurement>_<field>` has no underscore, so encoders split it back out.
  const field = fc.string({ unit: fc.constantFrom(...'abcxyz0123'), minLength: 1, maxLength: 6 });
  const tagValue = fc.string({ unit: fc.constantFrom(...'ab ,="\\:./-é'), minLength: 1, maxLength: 8 });
  const tags = fc.dictionary(
    fc.string({ unit: fc.constantFrom(...'hostrgin_ =,\\'), minLength: 1, maxLength: 6 }),
    tagValue,
    { maxKeys: 3 },
  );
  const step = opts.msMultiple ?? 1;
  const point = fc.record({
    metric: fc.tuple(name, field).map(([m, f]) => `m${m}_${f}`),
    tags,
    // Not in the range that reads as epoch seconds, which ingest refuses (core/time.ts).
    ts: fc
      .integer({ min: 0, max: Math.floor(MAX_TS / step) })
      .map((t) => t * step)
      .filter((t) => !looksLikeSeconds(t)),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  });
  return fc.uniqueArray(point, {
    maxLength: opts.maxLength ?? 10,
    selector: (p) => `${seriesKey(p.metric, p.tags)}@${p.ts}`,
  });
}

/** Comparable form of a parse result: tags as plain sorted objects; -0 kept distinct. */
export function plain(points: readonly IngestPoint[]): IngestPoint[] {
  return points.map((p) => ({ metric: p.metric, tags: { ...p.tags }, ts: p.ts, value: p.value }));
}

export function expectSamePoints(got: readonly IngestPoint[], want: readonly IngestPoint[]): void {
  expect(plain(got)).toEqual(plain(want));
  for (let i = 0; i < want.length; i++) expect(Object.is(got[i]!.value, want[i]!.value)).toBe(true);
}

/** Applies random edits to a text: the structured fuzzers start from valid input and break it. */
export type Mutation = { at: number; kind: number; text: string; len: number };

export function mutationsArb(alphabet: string): fc.Arbitrary<Mutation[]> {
  const mutation = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    kind: fc.integer({ min: 0, max: 4 }),
    text: fc.string({ unit: fc.constantFrom(...alphabet), minLength: 1, maxLength: 4 }),
    len: fc.integer({ min: 1, max: 6 }),
  });
  return fc.array(mutation, { minLength: 1, maxLength: 4 });
}

export function mutate(s: string, mutations: readonly Mutation[]): string {
  for (const m of mutations) {
    const at = Math.min(s.length, Math.floor(m.at * (s.length + 1)));
    switch (m.kind) {
      case 0: // insert
        s = s.slice(0, at) + m.text + s.slice(at);
        break;
      case 1: // delete
        s = s.slice(0, at) + s.slice(at + m.len);
        break;
      case 2: // replace
        s = s.slice(0, at) + m.text + s.slice(at + m.text.length);
        break;
      case 3: // truncate
        s = s.slice(0, at);
        break;
      default: // duplicate a span
        s = s.slice(0, at + m.len) + s.slice(at, at + m.len) + s.slice(at + m.len);
        break;
    }
  }
  return s;
}

export type ByteMutation = { at: number; kind: number; bytes: number[]; len: number };

export function byteMutationsArb(): fc.Arbitrary<ByteMutation[]> {
  const mutation = fc.record({
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    kind: fc.integer({ min: 0, max: 4 }),
    bytes: fc.array(fc.oneof(fc.constantFrom(0, 0x80, 0xff, 0x0a, 0x12, 0x7f), fc.nat(255)), {
      minLength: 1,
      maxLength: 4,
    }),
    len: fc.integer({ min: 1, max: 6 }),
  });
  return fc.array(mutation, { minLength: 1, maxLength: 4 });
}

export function mutateBytes(b: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let out = Array.from(b);
  for (const m of mutations) {
    const at = Math.min(out.length, Math.floor(m.at * (out.length + 1)));
    switch (m.kind) {
      case 0:
        out.splice(at, 0, ...m.bytes);
        break;
      case 1:
        out.splice(at, m.len);
        break;
      case 2:
        out.splice(at, m.bytes.length, ...m.bytes);
        break;
      case 3:
        out = out.slice(0, at);
        break;
      default:
        out.splice(at + m.len, 0, ...out.slice(at, at + m.len));
        break;
    }
  }
  return Uint8Array.from(out);
}
