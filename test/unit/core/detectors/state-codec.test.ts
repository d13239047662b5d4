import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base64ToBytes,
  base64ToFloat64,
  bytesToBase64,
  float64ToBase64,
} from '../../../../src/core/detectors/state-codec.ts';

/** What the encoder replaced: every byte as a char code, then btoa. */
const viaBtoa = (b: Uint8Array) => btoa(Array.from(b, (c) => String.fromCharCode(c)).join(''));

describe('state codec', () => {
  it('writes what btoa writes, for every length and byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b64 = bytesToBase64(bytes);
        expect(b64).toBe(viaBtoa(bytes));
        expect([...base64ToBytes(b64)]).toEqual([...bytes]);
      }),
      { numRuns: 500 },
    );
    const all = Uint8Array.from({ length: 256 * 3 }, (_, i) => (i * 7) % 256);
    expect(bytesToBase64(all)).toBe(viaBtoa(all));
    expect(bytesToBase64(new Uint8Array(0))).toBe('');
  });

  it('round-trips doubles bit for bit: −0, NaN payloads, infinities', () => {
    const a = new Float64Array([0, -0, Number.NaN, Number.POSITIVE_INFINITY, -1e-310, 1.5]);
    const bits = new Uint8Array(a.buffer);
    bits[16] = 0x12; // a NaN with a payload of its own
    const back = base64ToFloat64(float64ToBase64(a));
    expect([...new Uint8Array(back.buffer, back.byteOffset, back.byteLength)]).toEqual([...bits]);
  });
});
