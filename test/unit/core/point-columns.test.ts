import { describe, expect, it } from 'vitest';
import { decodeChunkInto, encodeChunk } from '../../../src/adapters/sqlite/chunk-codec.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { PointColumns } from '../../../src/core/point-columns.ts';

const pt = (i: number): ScoredPoint => ({
  ts: 1000 + i,
  value: i * 1.5,
  score: i / 100,
  expected: i === 3 ? Number.NaN : i,
  lower: i - 1,
  upper: i + 1,
  anomalous: i % 4 === 0,
});

describe('PointColumns', () => {
  it('grows past its capacity and gives back every point exactly', () => {
    const pts = Array.from({ length: 37 }, (_, i) => pt(i));
    const c = new PointColumns(1);
    for (const p of pts) c.push(p);
    expect(c.length).toBe(37);
    const out: ScoredPoint[] = [];
    c.collect(0, Number.MAX_SAFE_INTEGER, out);
    expect(out).toEqual(pts);
    const some: ScoredPoint[] = [];
    c.collect(1010, 1012, some);
    expect(some.map((p) => p.ts)).toEqual([1010, 1011]);
  });

  it('is rebuilt from its one buffer after a transfer to another thread', async () => {
    const pts = Array.from({ length: 11 }, (_, i) => pt(i));
    const sent = PointColumns.of(pts);
    // structuredClone with transfer detaches the buffer here, as postMessage between threads does.
    const buffer = structuredClone(sent.buffer, { transfer: [sent.buffer] });
    expect(sent.buffer.byteLength).toBe(0);
    const got = PointColumns.wrap(buffer, pts.length);
    expect(Array.from({ length: got.length }, (_, i) => got.at(i))).toEqual(pts);
  });

  it('round-trips through the chunk codec, NaN bands included', () => {
    const pts = Array.from({ length: 9 }, (_, i) => pt(i));
    const out: ScoredPoint[] = [];
    decodeChunkInto(encodeChunk(PointColumns.of(pts)), 0, Number.MAX_SAFE_INTEGER, out);
    expect(out).toEqual(pts);
  });
});
