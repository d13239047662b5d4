/** Property-based fuzzing of the remote_write decoder: 4xx VigilError or valid points, nothing else. */
import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, it } from 'vitest';
import {
  encodeRemoteWrite,
  encodeWriteRequest,
  type RemoteWriteSeries,
} from '../../../../src/adapters/ingest/encode.ts';
import { decodeRemoteWrite } from '../../../../src/adapters/ingest/remote-write.ts';
import {
  byteMutationsArb,
  FUZZ_RUNS,
  LIMITS,
  mutateBytes,
  parsesOrRejects,
  SMALL_LIMITS,
} from './helpers.ts';

const OPTIONS = { maxDecodedBytes: 1 << 16 };
const decodes = (body: Uint8Array, limits = SMALL_LIMITS) =>
  parsesOrRejects(() => decodeRemoteWrite(body, limits, OPTIONS), limits);

const labelText = fc.oneof(
  fc.constantFrom('__name__', 'job', 'instance', '', 'é'),
  fc.string({ maxLength: 5 }),
);
const seriesArb: fc.Arbitrary<RemoteWriteSeries> = fc.record({
  labels: fc.dictionary(labelText, labelText, { maxKeys: 6 }).map((l) => ({ __name__: 'up', ...l })),
  samples: fc.array(
    fc.record({
      ts: fc.oneof(
        fc.integer({ min: -5, max: 100 }),
        fc.constantFrom(32503680000000, 32503680000001, -(2 ** 53) + 1),
      ),
      value: fc.oneof(fc.double(), fc.constant(Number.NaN)),
      stale: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
});
const requestArb = fc.array(seriesArb, { maxLength: 6 });

describe('decodeRemoteWrite under fuzzing', () => {
  it(`survives arbitrary bodies (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (body) => decodes(body)),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives arbitrary protobuf in valid snappy (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (pb) => decodes(compress(pb))),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives generated requests with odd labels, timestamps and values (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(requestArb, fc.boolean(), (request, small) =>
        decodes(encodeRemoteWrite(request), small ? SMALL_LIMITS : LIMITS),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives mutations of valid protobuf, then compressed (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(requestArb, byteMutationsArb(), (request, mutations) =>
        decodes(compress(mutateBytes(encodeWriteRequest(request), mutations))),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it(`survives mutations of valid compressed bodies (${FUZZ_RUNS} runs)`, () => {
    fc.assert(
      fc.property(requestArb, byteMutationsArb(), (request, mutations) =>
        decodes(mutateBytes(encodeRemoteWrite(request), mutations)),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });
});
