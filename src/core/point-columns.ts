/**
 * Scored points of one series in columns (typed arrays), growing by doubling. The runtime keeps
 * the points scored since the last checkpoint this way: a few flat arrays per series instead of
 * an object per point, so millions of pending points cost little memory and no GC pressure. The
 * seven columns are views of one ArrayBuffer, so a growth allocates one backing store, not seven
 * (with 10,000 series, their allocations showed as stalls of the ingest path).
 */
import type { ScoredPoint } from './point.ts';

export const FLAG_ANOMALOUS = 1;
/** Six float64 columns and one byte of flags. */
const BYTES_PER_POINT = 6 * 8 + 1;

export class PointColumns {
  length = 0;
  ts: Float64Array;
  value: Float64Array;
  score: Float64Array;
  expected: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  flags: Uint8Array;

  constructor(capacity = 8, buf = new ArrayBuffer(capacity * BYTES_PER_POINT)) {
    this.ts = new Float64Array(buf, 0, capacity);
    this.value = new Float64Array(buf, 8 * capacity, capacity);
    this.score = new Float64Array(buf, 16 * capacity, capacity);
    this.expected = new Float64Array(buf, 24 * capacity, capacity);
    this.lower = new Float64Array(buf, 32 * capacity, capacity);
    this.upper = new Float64Array(buf, 40 * capacity, capacity);
    this.flags = new Uint8Array(buf, 48 * capacity, capacity);
  }

  /** Columns over `buffer` (another PointColumns' `buffer`, e.g. sent between threads) holding `length` points. */
  static wrap(buffer: ArrayBuffer, length: number): PointColumns {
    const c = new PointColumns(buffer.byteLength / BYTES_PER_POINT, buffer);
    c.length = length;
    return c;
  }

  /** The one backing store of all seven columns. */
  get buffer(): ArrayBuffer {
    return this.ts.buffer as ArrayBuffer;
  }

  static of(points: readonly ScoredPoint[]): PointColumns {
    const c = new PointColumns(Math.max(1, points.length));
    for (const p of points) c.push(p);
    return c;
  }

  push(p: ScoredPoint): void {
    if (this.length === this.ts.length) this.#grow();
    const i = this.length++;
    this.ts[i] = p.ts;
    this.value[i] = p.value;
    this.score[i] = p.score;
    this.expected[i] = p.expected;
    this.lower[i] = p.lower;
    this.upper[i] = p.upper;
    this.flags[i] = p.anomalous ? FLAG_ANOMALOUS : 0;
  }

  at(i: number): ScoredPoint {
    return {
      ts: this.ts[i]!,
      value: this.value[i]!,
      score: this.score[i]!,
      expected: this.expected[i]!,
      lower: this.lower[i]!,
      upper: this.upper[i]!,
      anomalous: (this.flags[i]! & FLAG_ANOMALOUS) !== 0,
    };
  }

  /** Appends the points with from ≤ ts < to to `out`, in stored order. */
  collect(from: number, to: number, out: ScoredPoint[]): void {
    for (let i = 0; i < this.length; i++) {
      const t = this.ts[i]!;
      if (t >= from && t < to) out.push(this.at(i));
    }
  }

  /** Appends row `i` of `src`. */
  copyRow(src: PointColumns, i: number): void {
    if (this.length === this.ts.length) this.#grow();
    const j = this.length++;
    this.ts[j] = src.ts[i]!;
    this.value[j] = src.value[i]!;
    this.score[j] = src.score[i]!;
    this.expected[j] = src.expected[i]!;
    this.lower[j] = src.lower[i]!;
    this.upper[j] = src.upper[i]!;
    this.flags[j] = src.flags[i]!;
  }

  /** Appends the rows of `src` with from ≤ ts < to, in their order; `collect` without the objects. */
  appendRange(src: PointColumns, from: number, to: number): void {
    for (let i = 0; i < src.length; i++) {
      const t = src.ts[i]!;
      if (t >= from && t < to) this.copyRow(src, i);
    }
  }

  /** The rows as points. */
  toPoints(): ScoredPoint[] {
    const out: ScoredPoint[] = new Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }

  /** Appends all of `other` (used to put back the points of a failed checkpoint). */
  append(other: PointColumns): void {
    for (let i = 0; i < other.length; i++) this.push(other.at(i));
  }

  #grow(): void {
    const bigger = new PointColumns(Math.max(8, this.ts.length * 2));
    bigger.ts.set(this.ts);
    bigger.value.set(this.value);
    bigger.score.set(this.score);
    bigger.expected.set(this.expected);
    bigger.lower.set(this.lower);
    bigger.upper.set(this.upper);
    bigger.flags.set(this.flags);
    this.ts = bigger.ts;
    this.value = bigger.value;
    this.score = bigger.score;
    this.expected = bigger.expected;
    this.lower = bigger.lower;
    this.upper = bigger.upper;
    this.flags = bigger.flags;
  }
}
