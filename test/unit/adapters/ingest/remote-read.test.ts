/** The remote_read codec: a ReadRequest as Prometheus encodes it decodes to queries; bad bodies name what is wrong. */
import { compress, uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { encodeWriteRequest } from '../../../../src/adapters/ingest/encode.ts';
import { decodeReadRequest, encodeReadResponse } from '../../../../src/adapters/ingest/remote-read.ts';
import { VigilError } from '../../../../src/core/errors.ts';

/** Protobuf by hand: a varint, a key, a length-delimited field. */
const varint = (v: bigint): number[] => {
  const out: number[] = [];
  let u = BigInt.asUintN(64, v);
  while (u >= 128n) {
    out.push(Number(u & 127n) | 128);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
};
const len = (field: number, body: number[]) => [(field << 3) | 2, ...varint(BigInt(body.length)), ...body];
const str = (field: number, s: string) => len(field, [...new TextEncoder().encode(s)]);
const int = (field: number, v: number) => [field << 3, ...varint(BigInt(v))];

const matcher = (type: number, name: string, value: string) =>
  len(3, [...int(1, type), ...str(2, name), ...str(3, value)]);
const query = (start: number, end: number, ...m: number[][]) =>
  len(1, [...int(1, start), ...int(2, end), ...m.flat(), ...len(4, [...int(1, 15000)])]);

function refusal(body: Uint8Array): string {
  try {
    decodeReadRequest(body, 1 << 20);
  } catch (err) {
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('VIGIL_ERR_BAD_REMOTE_READ');
    return (err as VigilError).message;
  }
  throw new Error('decoded');
}

describe('remote_read codec', () => {
  it('decodes queries with every matcher type, skipping hints and response types', () => {
    const body = [
      ...query(1000, 2000, matcher(0, '__name__', 'cpu'), matcher(3, 'host', 'b.*')),
      ...query(-5, 9_007_199_254_740_991, matcher(1, 'for', ''), matcher(2, 'env', 'prod|dev')),
      ...int(2, 0),
    ];
    expect(decodeReadRequest(compress(Uint8Array.from(body)), 1 << 20)).toEqual([
      {
        startMs: 1000,
        endMs: 2000,
        matchers: [
          { op: '=', name: '__name__', value: 'cpu' },
          { op: '!~', name: 'host', value: 'b.*' },
        ],
      },
      {
        startMs: -5,
        endMs: 9_007_199_254_740_991,
        matchers: [
          { op: '!=', name: 'for', value: '' },
          { op: '=~', name: 'env', value: 'prod|dev' },
        ],
      },
    ]);
  });

  it('refuses an empty body, a non-snappy one, no query, a bad matcher type and a truncated message', () => {
    expect(refusal(new Uint8Array())).toContain('empty body');
    expect(refusal(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toMatch(/snappy|larger/);
    expect(refusal(compress(Uint8Array.from(int(2, 0))))).toContain('no query');
    expect(refusal(compress(Uint8Array.from(query(0, 1, matcher(7, 'a', 'b')))))).toContain(
      'queries[0].matchers[0].type 7',
    );
    expect(refusal(compress(Uint8Array.from(query(0, 1, matcher(0, 'a', 'b')).slice(0, -3))))).toContain(
      'truncated',
    );
  });

  it('encodes one QueryResult per query, each holding the series as remote_write TimeSeries', () => {
    const a = [{ labels: { __name__: 'cpu', host: 'a' }, samples: [{ ts: 1, value: 2.5 }] }];
    const b = [{ labels: { __name__: 'yhat', for: 'cpu' }, samples: [{ ts: 3, value: 4 }] }];
    const bytes = uncompress(encodeReadResponse([a, [], b])) as Uint8Array;
    const ra = encodeWriteRequest(a);
    const rb = encodeWriteRequest(b);
    expect([...bytes]).toEqual([...len(1, [...ra]), ...len(1, []), ...len(1, [...rb])]);
  });
});
