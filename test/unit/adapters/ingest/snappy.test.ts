import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import {
  decodeSnappyBlock,
  SnappyError,
  SnappyTooLargeError,
} from '../../../../src/adapters/ingest/snappy.ts';

const MAX = 1 << 20;
const bytes = (...b: number[]) => Uint8Array.from(b);

describe('decodeSnappyBlock', () => {
  it('decodes what snappyjs compresses: random and repetitive data', () => {
    const repetitive = fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.integer({ min: 1, max: 400 }))
      .map(([unit, times]) =>
        Uint8Array.from({ length: unit.length * times }, (_, i) => unit[i % unit.length]!),
      );
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 3000 }), repetitive), (data) => {
        expect(decodeSnappyBlock(compress(data), MAX)).toEqual(Buffer.from(data));
      }),
      { numRuns: 300 },
    );
  });

  it('decodes every element form: long literals, 1-, 2- and 4-byte offset copies, overlapping copies', () => {
    const literal = Uint8Array.from({ length: 300 }, (_, i) => i & 255);
    // Literal of 300 bytes: tag 61<<2 (two length bytes follow), length - 1 = 299 little-endian.
    const long = bytes(0xac, 0x02, 61 << 2, 299 & 255, 299 >> 8, ...literal);
    expect(decodeSnappyBlock(long, MAX)).toEqual(Buffer.from(literal));
    // 'ab' then copies of offset 2: 1-byte offset (len 4), 2-byte (len 2), 4-byte (len 2).
    const copies = bytes(
      10,
      1 << 2,
      97,
      98,
      0b000_000_01,
      2,
      ((2 - 1) << 2) | 2,
      2,
      0,
      ((2 - 1) << 2) | 3,
      2,
      0,
      0,
      0,
    );
    expect(decodeSnappyBlock(copies, MAX).toString('latin1')).toBe('ababababab');
    // One byte then a copy of offset 1 and length 8 repeats it.
    expect(decodeSnappyBlock(bytes(9, 0, 120, ((8 - 4) << 2) | 1, 1), MAX).toString('latin1')).toBe(
      'x'.repeat(9),
    );
    expect(decodeSnappyBlock(bytes(0), MAX).length).toBe(0);
  });

  const corrupt: [string, Uint8Array, RegExp][] = [
    ['an empty input', bytes(), /truncated length header/],
    ['a length header that never ends', bytes(0x80, 0x80), /truncated length header/],
    ['a length header over 5 bytes', bytes(0x80, 0x80, 0x80, 0x80, 0x80, 0x01), /longer than 5 bytes/],
    ['a length over 32 bits', bytes(0xff, 0xff, 0xff, 0xff, 0x7f), /32 bits/],
    ['a literal past the input', bytes(5, 4 << 2, 1, 2), /runs past the end of the input/],
    ['a truncated literal length', bytes(100, 61 << 2, 1), /truncated literal length/],
    ['a literal past the declared length', bytes(1, 1 << 2, 1, 2), /past the declared length/],
    ['a copy before any output', bytes(4, 0b000_000_01, 1), /points outside/],
    ['a copy with offset 0', bytes(5, 0, 1, 0b000_000_01, 0), /offset 0/],
    ['a copy past the declared length', bytes(2, 0, 1, 0b000_000_01, 1), /past the declared length/],
    ['a truncated 1-byte-offset copy', bytes(5, 0, 1, 0b000_000_01), /truncated copy/],
    ['a truncated 2-byte-offset copy', bytes(5, 0, 1, 2, 1), /truncated copy/],
    ['a truncated 4-byte-offset copy', bytes(5, 0, 1, 3, 1, 0, 0), /truncated copy/],
    ['output shorter than declared', bytes(3, 0, 1), /decoded 1 bytes but the header declares 3/],
  ];
  it.each(corrupt)('rejects %s', (_name, input, message) => {
    expect(() => decodeSnappyBlock(input, MAX)).toThrow(SnappyError);
    expect(() => decodeSnappyBlock(input, MAX)).toThrow(message);
  });

  it('rejects a declared length over the limit before allocating', () => {
    // Declares 4 GiB - 1 with a 6-byte body.
    const bomb = bytes(0xff, 0xff, 0xff, 0xff, 0x0f, 0);
    expect(() => decodeSnappyBlock(bomb, 64 << 20)).toThrow(SnappyTooLargeError);
    expect(() => decodeSnappyBlock(compress(new Uint8Array(101)), 100)).toThrow(
      /101 bytes exceeds the limit of 100/,
    );
  });

  it('names the compressed offset of a fault', () => {
    try {
      decodeSnappyBlock(bytes(5, 0, 1, 0b000_000_01, 0), MAX);
      expect.unreachable();
    } catch (err) {
      expect((err as SnappyError).offset).toBe(3);
    }
  });
});
