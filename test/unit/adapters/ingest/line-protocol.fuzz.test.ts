/** Property-based fuzzing of the line protocol parser: 4xx VigilError or valid points, nothing else. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { encodeLineProtocol } from '../../../../src/adapters/ingest/encode.ts';
import {
  type LineProtocolPrecision,
  parseLineProtocol,
} from '../../../../src/adapters/ingest/line-protocol.ts';
import {
  FUZZ_RUNS,
  LIMITS,
  mutate,
  mutationsArb,
  parsesOrRejects,
  pointsArb,
  SMALL_LIMITS,
  T0,
} from './helpers.ts';

const precisionArb = fc.constantFrom<LineProtocolPrecision>('ns', 'us', 'ms', 's', 'm', 'h');
// The characters line protocol gives meaning to, and a few that it must reject.
const ALPHABET = 'cpu,= "\\\n\r\t#.-+0123456789eEiutTfF_xé\u0000';

/** Hand-written lines reaching what the encoder never writes: strings, ints, bools, comments, CRLF. */
const EXTRA = [
  '# comment\n',
  '\n',
  'sys,host=a up="1 day, \\"2\\" h",n=3i,ok=true,big=18446744073709551615u 1700000000000000000\r\n',
  'm\\ x,t\\=k=v\\,w f\\ k=1.5e3,g=-.5 1700000000\n',
  'm s="multi\nline",v=1\n',
];
const docArb = fc
  .tuple(pointsArb({ maxLength: 8 }), fc.subarray(EXTRA), precisionArb)
  .map(([points, extra, precision]) => ({
    text: encodeLineProtocol(points, precision) + extra.join(''),
    precision,
  }));

describe('parseLineProtocol under fuzzing', () => {
  it(`survives arbitrary text (${FUZZ_RUNS} runs)`, () => {
    const textArb = fc.oneof(
      fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 80 }),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(textArb, precisionArb, (text, precision) => {
        parsesOrRejects(() => parseLineProtocol(text, precision, T0, LIMITS), LIMITS);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives mutations of valid batches (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(docArb, mutationsArb(ALPHABET), fc.boolean(), ({ text, precision }, mutations, small) => {
        const limits = small ? SMALL_LIMITS : LIMITS;
        parsesOrRejects(() => parseLineProtocol(mutate(text, mutations), precision, T0, limits), limits);
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
