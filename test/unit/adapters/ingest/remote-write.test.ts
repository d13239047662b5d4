import fc from 'fast-check';
import { compress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { encodeRemoteWrite, encodeWriteRequest } from '../../../../src/adapters/ingest/encode.ts';
import { decodeRemoteWrite } from '../../../../src/adapters/ingest/remote-write.ts';
import type { ErrorCode, ErrorLocation } from '../../../../src/core/errors.ts';
import { checkInvariants, expectSamePoints, LIMITS, pointsArb, rejection, T0 } from './helpers.ts';

// A few protobuf building blocks, to write what encodeWriteRequest never would.
const cat = (...parts: (number[] | Uint8Array)[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
function varint(v: number | bigint): number[] {
  let u = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (u >= 128n) {
    out.push(Number(u & 127n) | 128);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, ...payload: (number[] | Uint8Array)[]) => {
  const body = cat(...payload);
  return cat(key(field, 2), varint(body.length), body);
};
const str = (field: number, s: string) => len(field, new TextEncoder().encode(s));
const label = (name: string, value: string) => len(1, str(1, name), str(2, value));
const f64 = (v: number) => cat(key(1, 1), new Uint8Array(new Float64Array([v]).buffer));
const sample = (value: number, ts: number | bigint) => len(2, f64(value), key(2, 0), varint(ts));
const series = (...parts: (number[] | Uint8Array)[]) => len(1, ...parts);
const decode = (protobuf: Uint8Array) => decodeRemoteWrite(compress(protobuf), LIMITS);

describe('decodeRemoteWrite', () => {
  it('turns __name__ into the metric and the other labels into tags', () => {
    const body = encodeRemoteWrite([
      {
        labels: { __name__: 'http_requests_total', job: 'api', instance: 'x:1', empty: '' },
        samples: [
          { ts: T0, value: 1 },
          { ts: T0 + 15_000, value: 2.5 },
        ],
      },
      { labels: { __name__: 'up', job: 'api' }, samples: [{ ts: T0, value: 1 }] },
    ]);
    const got = decodeRemoteWrite(body, LIMITS);
    expect(got.points).toEqual([
      { metric: 'http_requests_total', tags: { instance: 'x:1', job: 'api' }, ts: T0, value: 1 },
      { metric: 'http_requests_total', tags: { instance: 'x:1', job: 'api' }, ts: T0 + 15_000, value: 2.5 },
      { metric: 'up', tags: { job: 'api' }, ts: T0, value: 1 },
    ]);
    expect(got.skipped).toEqual({});
    checkInvariants(got, LIMITS);
  });

  it('skips and counts stale markers and other non-finite samples, keeping the good ones', () => {
    const body = encodeRemoteWrite([
      {
        labels: { __name__: 'up' },
        samples: [
          { ts: 1, value: 1 },
          { ts: 2, value: Number.NaN, stale: true },
          { ts: 3, value: Number.NaN },
          { ts: 4, value: Number.POSITIVE_INFINITY },
          { ts: 5, value: Number.NEGATIVE_INFINITY },
          { ts: 6, value: 0 },
          // The bit pattern itself, without the encoder's flag.
          { ts: 7, value: new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]! },
        ],
      },
    ]);
    const got = decodeRemoteWrite(body, LIMITS);
    expect(got.points.map((p) => p.ts)).toEqual([1, 6]);
    expect(got.skipped).toEqual({ stale_marker: 2, non_finite: 3 });
  });

  it('skips unknown fields, exemplars and metadata; counts histograms; reads fields in any order', () => {
    const protobuf = cat(
      len(3, str(1, 'metadata is ignored')),
      key(15, 0),
      varint(7),
      series(
        sample(2, 20),
        key(9, 5),
        [1, 2, 3, 4],
        len(3, label('trace_id', 'x'), sample(1, 1)), // an exemplar
        len(4, key(1, 0), varint(3)), // a native histogram
        label('__name__', 'late_labels'),
        len(1, str(1, 'z'), str(2, 'last'), key(3, 1), [0, 0, 0, 0, 0, 0, 0, 0]),
        sample(1, 10),
      ),
      series(label('__name__', 'defaults'), len(2)),
      series(label('__name__', 'no_samples_no_points')),
    );
    const got = decode(protobuf);
    expect(got.points).toEqual([
      { metric: 'late_labels', tags: { z: 'last' }, ts: 20, value: 2 },
      { metric: 'late_labels', tags: { z: 'last' }, ts: 10, value: 1 },
      { metric: 'defaults', tags: {}, ts: 0, value: 0 },
    ]);
    expect(got.skipped).toEqual({ histogram: 1 });
  });

  it('decodes UTF-8 labels and keeps a `__proto__` label as a tag', () => {
    const got = decode(series(label('__name__', 'température'), label('__proto__', 'été ✓'), sample(1, 1)));
    expect(got.points[0]!.metric).toBe('température');
    expect(Object.keys(got.points[0]!.tags)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(got.points[0]!.tags, '__proto__')?.value).toBe('été ✓');
  });

  it('returns the right strings when many distinct labels share cache slots', () => {
    const many = Array.from({ length: 3000 }, (_, i) => ({
      labels: { __name__: `m${i % 7}`, instance: `host-${i}`, job: `j${i % 13}` },
      samples: [{ ts: i, value: i }],
    }));
    for (let round = 0; round < 2; round++) {
      const got = decodeRemoteWrite(encodeRemoteWrite(many), { ...LIMITS, maxPoints: 5000 });
      got.points.forEach((p, i) => {
        expect(p.metric).toBe(`m${i % 7}`);
        expect(p.tags).toEqual({ instance: `host-${i}`, job: `j${i % 13}` });
      });
    }
  });

  it('gives the same result when a memoised label set is decoded again', () => {
    // The first request only marks the label set; the second memoises it; later ones find it.
    const labels = cat(label('__name__', 'memo_a'), label('job', 'x'));
    const first = decode(cat(series(labels, sample(1, 1))));
    const again = decode(cat(series(labels, sample(2, 2)), series(labels, sample(3, 3))));
    expect(again.points.map((p) => [p.metric, p.tags, p.ts])).toEqual([
      ['memo_a', { job: 'x' }, 2],
      ['memo_a', { job: 'x' }, 3],
    ]);
    expect(again.points[0]!.tags).toEqual(first.points[0]!.tags);
    // A memo hit hands out the very tags object it stored.
    const hit = decode(cat(series(labels, sample(5, 5))));
    expect(hit.points[0]!.tags).toBe(again.points[0]!.tags);
    // The same leading labels plus one after the samples: the memo must not hide the extra one.
    const extra = decode(series(labels, sample(4, 4), label('zone', 'z')));
    expect(extra.points[0]!.tags).toEqual({ job: 'x', zone: 'z' });
  });

  it('revalidates a memoised label set under other limits', () => {
    const protobuf = series(label('__name__', 'memo_b'), label('a', '1'), label('b', '2'), sample(1, 1));
    // Memoised on the second sight, found on the third.
    for (let i = 0; i < 3; i++) expect(decode(protobuf).points).toHaveLength(1);
    const tight = { ...LIMITS, series: { ...LIMITS.series, maxTagsPerSeries: 1 } };
    const err = rejection(() => decodeRemoteWrite(compress(protobuf), tight));
    expect(err.code).toBe('VIGIL_ERR_TOO_MANY_TAGS');
    expect(err.location).toEqual({ index: 0, field: 'tags' });
  });

  const name = label('__name__', 'up');
  const bad: [string, Uint8Array, ErrorCode, ErrorLocation, RegExp?][] = [
    [
      'an empty body',
      new Uint8Array(),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /invalid snappy block: truncated length header/,
    ],
    [
      'an uncompressed protobuf',
      encodeWriteRequest([{ labels: { __name__: 'up' }, samples: [{ ts: 1, value: 1 }] }]),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /snappy/,
    ],
    ['plain text', new TextEncoder().encode('hello world'), 'VIGIL_ERR_BAD_REMOTE_WRITE', {}, /snappy/],
    [
      'a truncated snappy block',
      encodeRemoteWrite([{ labels: { __name__: 'up' }, samples: [{ ts: 1, value: 1 }] }]).slice(0, -2),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /snappy/,
    ],
  ];
  const badProtobuf: [string, Uint8Array, ErrorCode, ErrorLocation, RegExp?][] = [
    [
      'a truncated varint',
      cat(key(5, 0), [0xff]),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /truncated varint \(at decoded byte 1\)/,
    ],
    ['field number 0', cat([0x02, 0x00]), 'VIGIL_ERR_BAD_REMOTE_WRITE', {}, /invalid field key 2/],
    [
      'a varint of 11 bytes',
      cat(key(5, 0), Array(10).fill(0xff), [1]),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /longer than 10 bytes/,
    ],
    [
      'a length past the end',
      cat(key(1, 2), varint(50), [1, 2]),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /length 50 runs past/,
    ],
    ['a group wire type', cat(key(7, 3)), 'VIGIL_ERR_BAD_REMOTE_WRITE', {}, /unsupported wire type 3/],
    [
      'timeseries as a varint',
      cat(key(1, 0), varint(1)),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      {},
      /field 1 \(timeseries\) has wire type 0/,
    ],
    ['a truncated fixed64', cat(key(7, 1), [1, 2]), 'VIGIL_ERR_BAD_REMOTE_WRITE', {}, /truncated fixed64/],
    ['a truncated fixed32', cat(key(7, 5), [1, 2]), 'VIGIL_ERR_BAD_REMOTE_WRITE', {}, /truncated fixed32/],
    [
      'labels as a varint',
      series(key(1, 0), varint(1)),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 0 },
      /timeseries\[0\]: field 1 has wire type 0/,
    ],
    [
      'a label name as a varint',
      series(len(1, key(1, 0), varint(1))),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 0 },
      /label field 1/,
    ],
    [
      'a sample value as a varint',
      series(name, len(2, key(1, 0), varint(1))),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 0 },
      /sample field 1 has wire type 0/,
    ],
    [
      'a truncated sample value',
      series(name, len(2, key(1, 1), [0, 0, 0])),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 0 },
      /truncated sample value/,
    ],
    [
      'a label length past its message',
      series(len(1, key(1, 2), varint(9), [97])),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 0 },
    ],
    [
      'invalid UTF-8 in a label',
      cat(series(name, sample(1, 1)), series(len(1, str(1, 'a'), len(2, [0xc3, 0x28])))),
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      { index: 1 },
      /timeseries\[1\]: label value is not valid UTF-8/,
    ],
    [
      'no __name__',
      cat(series(name, sample(1, 1)), series(label('job', 'x'), sample(1, 1))),
      'VIGIL_ERR_BAD_POINT',
      { index: 1, field: 'labels.__name__' },
      /timeseries\[1\]: missing label `__name__`/,
    ],
    [
      'an empty __name__',
      series(label('__name__', ''), sample(1, 1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'labels.__name__' },
    ],
    [
      'two __name__ labels',
      series(name, name, sample(1, 1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'labels.__name__' },
      /duplicate label/,
    ],
    [
      'a repeated label',
      series(name, label('job', 'a'), label('job', 'b'), sample(1, 1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'labels.job' },
      /duplicate label `job`/,
    ],
    [
      'a control character in a label',
      series(name, label('job', 'a\u0001'), sample(1, 1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'tags.job' },
    ],
    [
      'an empty label name',
      series(name, label('', 'x'), sample(1, 1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'tags.' },
    ],
    [
      '33 labels besides __name__',
      series(name, ...Array.from({ length: 33 }, (_, i) => label(`l${i}`, 'v')), sample(1, 1)),
      'VIGIL_ERR_TOO_MANY_TAGS',
      { index: 0, field: 'labels' },
    ],
    [
      'a negative timestamp',
      series(name, sample(1, 1), sample(1, -1)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'samples[1].timestamp' },
      /timestamp a negative value/,
    ],
    [
      'a timestamp after 2999',
      series(name, sample(1, 4e13)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'samples[0].timestamp' },
    ],
    [
      'int64 max, which is not negative',
      series(name, sample(1, 2n ** 63n - 1n)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'samples[0].timestamp' },
      /timestamp ≈9\.22337e\+18 is outside years 1970\.\.2999/,
    ],
    [
      'a timestamp in epoch seconds',
      series(name, sample(1, 1767225600)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'samples[0].timestamp' },
      /looks like epoch seconds/,
    ],
    [
      'a timestamp of 2^64 - 1',
      series(name, sample(1, 2n ** 64n - 1n)),
      'VIGIL_ERR_BAD_POINT',
      { index: 0, field: 'samples[0].timestamp' },
    ],
    [
      'a duplicate sample across timeseries',
      cat(
        series(name, label('job', 'a'), sample(1, 1), sample(2, 2)),
        series(label('job', 'a'), name, sample(3, 2)),
      ),
      'VIGIL_ERR_DUPLICATE_POINT',
      { index: 1, field: 'samples[0].timestamp' },
      /timeseries\[1\]\.samples\[0\]: duplicate point: series up\{job="a"\} at ts 2 already appears at timeseries\[0\]\.samples\[1\]/,
    ],
    [
      'a duplicate after out-of-order samples',
      series(name, sample(1, 5), sample(1, 3), sample(1, 5)),
      'VIGIL_ERR_DUPLICATE_POINT',
      { index: 0, field: 'samples[2].timestamp' },
    ],
    [
      'more than maxPoints samples',
      series(name, ...Array.from({ length: 1001 }, (_, i) => sample(1, i))),
      'VIGIL_ERR_BATCH_TOO_LARGE',
      { index: 0, field: 'samples[1000]' },
    ],
  ];
  it.each([
    ...bad,
    ...badProtobuf.map(([n, p, ...rest]) => [n, compress(p), ...rest] as (typeof bad)[number]),
  ])('rejects %s', (_name, body, code, location, message) => {
    const err = rejection(() => decodeRemoteWrite(body, LIMITS));
    expect(err.code).toBe(code);
    expect(err.status).toBeGreaterThanOrEqual(400);
    expect(err.location).toEqual(location);
    if (message) expect(err.message).toMatch(message);
  });

  it('rejects a decompression bomb from its header, before decoding', () => {
    // Claims 1 GiB; a real bomb would be ~50 MiB of copy elements, the header alone must suffice.
    const bomb = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x04, 0, 0]);
    const err = rejection(() => decodeRemoteWrite(bomb, LIMITS));
    expect(err.code).toBe('VIGIL_ERR_BODY_TOO_LARGE');
    expect(err.status).toBe(413);
    expect(err.message).toMatch(/1073741824 bytes exceeds the limit of 67108864 bytes/);
    const small = encodeRemoteWrite([{ labels: { __name__: 'up' }, samples: [{ ts: 1, value: 1 }] }]);
    expect(rejection(() => decodeRemoteWrite(small, LIMITS, { maxDecodedBytes: 8 })).code).toBe(
      'VIGIL_ERR_BODY_TOO_LARGE',
    );
  });

  it('round-trips encodeRemoteWrite', () => {
    fc.assert(
      fc.property(pointsArb(), (points) => {
        const got = decodeRemoteWrite(
          encodeRemoteWrite(points.map((p) => ({ labels: { ...p.tags, __name__: p.metric }, samples: [p] }))),
          LIMITS,
        );
        expectSamePoints(got.points, points);
      }),
      { numRuns: 200 },
    );
  });
});
