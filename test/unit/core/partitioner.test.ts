import { compatibilityPartitioner } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionOf } from '../../../src/core/partitioner.ts';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('partitioner', () => {
  it("matches the Java client's murmur2 test vectors (kafka UtilsTest.testMurmur2)", () => {
    expect(murmur2(utf8('21'))).toBe(-973932308);
    expect(murmur2(utf8('foobar'))).toBe(-790332482);
    expect(murmur2(utf8('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(utf8('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(utf8('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(utf8('abc'))).toBe(479470107);
  });

  it("agrees with the Kafka client's key partitioner on arbitrary keys", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (key, n) => {
          const theirs = compatibilityPartitioner({} as never, Buffer.from(key, 'utf8')) % n;
          expect(partitionOf(key, n)).toBe(theirs);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
