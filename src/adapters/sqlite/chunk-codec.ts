/**
 * Binary layout of the point chunks the SQLite store keeps (scored points of one series between two
 * checkpoints), columnar and little-endian, and the packed form in which a whole checkpoint travels
 * to the store's writer thread. Log batches use the shared layout of core/point-batch-codec.ts.
 */
import type { Anomaly } from '../../core/anomaly.ts';
import type { ScoredPoint } from '../../core/point.ts';
import { PointColumns } from '../../core/point-columns.ts';
import { buildRollup, type Rollup } from '../../core/rollup.ts';

const COLS = 6; // ts, value, score, expected, lower, upper

/** Bytes of a chunk of `n` points. */
const chunkSize = (n: number) => 8 + COLS * 8 * n + n;

/** [n:u32][pad:u32][ts:f64×n][value][score][expected][lower][upper][flags:u8×n] (column-major) */
export function encodeChunk(c: PointColumns): Uint8Array {
  const buf = new ArrayBuffer(chunkSize(c.length));
  encodeChunkAt(c, viewsOf(buf), 0);
  return new Uint8Array(buf);
}

/** Views over a whole buffer, made once per buffer rather than once per chunk. */
interface Views {
  u8: Uint8Array;
  u32: Uint32Array;
  f64: Float64Array;
}
const viewsOf = (buf: ArrayBuffer): Views => ({
  u8: new Uint8Array(buf),
  u32: new Uint32Array(buf, 0, buf.byteLength >> 2),
  f64: new Float64Array(buf, 0, buf.byteLength >> 3),
});

/** Writes `c` in encodeChunk's layout at byte `at` (a multiple of 8) of `v`; returns its size. */
function encodeChunkAt(c: PointColumns, v: Views, at: number): number {
  const n = c.length;
  v.u32[at >> 2] = n;
  v.u32[(at >> 2) + 1] = 0;
  let o = (at >> 3) + 1;
  for (const col of [c.ts, c.value, c.score, c.expected, c.lower, c.upper]) {
    v.f64.set(col.subarray(0, n), o);
    o += n;
  }
  v.u8.set(c.flags.subarray(0, n), o << 3);
  return chunkSize(n);
}

/** Appends the chunk's points with from ≤ ts < to to `out`. */
export function decodeChunkInto(bytes: Uint8Array, from: number, to: number, out: ScoredPoint[]): void {
  chunkColumns(bytes).collect(from, to, out);
}

/**
 * The chunk's points as columns, viewing `bytes` (which the caller MUST NOT change while they are
 * in use) when they sit 8-byte-aligned in their buffer, else a copy of them.
 */
export function chunkColumns(bytes: Uint8Array): PointColumns {
  const at = bytes.byteOffset % 8 === 0 ? bytes.byteOffset : 0;
  const buf = at === bytes.byteOffset ? bytes.buffer : bytes.slice().buffer;
  const n = new Uint32Array(buf, at, 1)[0]!;
  const c = new PointColumns(0);
  c.ts = new Float64Array(buf, at + 8, n);
  c.value = new Float64Array(buf, at + 8 + 8 * n, n);
  c.score = new Float64Array(buf, at + 8 + 16 * n, n);
  c.expected = new Float64Array(buf, at + 8 + 24 * n, n);
  c.lower = new Float64Array(buf, at + 8 + 32 * n, n);
  c.upper = new Float64Array(buf, at + 8 + 40 * n, n);
  c.flags = new Uint8Array(buf, at + 8 + COLS * 8 * n, n);
  c.length = n;
  return c;
}

const align8 = (n: number) => (n + 7) & ~7;

/**
 * A chunk's rollup (core/rollup.ts) as store.db's chunk_rollups keeps it, little-endian:
 * [blockRows:u32][rows:u32][blocks:u32][reps:u32][firstTs:f64×blocks][lastTs:f64×blocks]
 * [the representatives in encodeChunk's layout, padded to 8 bytes][repStart:u32×(blocks+1)][role:u8×reps]
 */
export function encodeRollup(r: Rollup): Uint8Array {
  const blocks = r.firstTs.length;
  const repsBytes = encodeChunk(r.reps);
  const at = 16 + 16 * blocks;
  const startsAt = at + align8(repsBytes.length);
  const out = new Uint8Array(startsAt + 4 * (blocks + 1) + r.role.length);
  const u32 = new Uint32Array(out.buffer, 0, 4);
  u32.set([r.blockRows, r.rows, blocks, r.reps.length]);
  new Float64Array(out.buffer, 16, blocks).set(r.firstTs);
  new Float64Array(out.buffer, 16 + 8 * blocks, blocks).set(r.lastTs);
  out.set(repsBytes, at);
  new Uint32Array(out.buffer, startsAt, blocks + 1).set(r.repStart);
  out.set(r.role, startsAt + 4 * (blocks + 1));
  return out;
}

/** encodeRollup's bytes as a Rollup, viewing them like chunkColumns (the caller MUST NOT change them). */
export function decodeRollup(bytes: Uint8Array): Rollup {
  const own = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset: o } = own;
  const head = new Uint32Array(buffer, o, 4);
  const blocks = head[2]!;
  const reps = head[3]!;
  const at = 16 + 16 * blocks;
  const startsAt = at + align8(chunkSize(reps));
  return {
    blockRows: head[0]!,
    rows: head[1]!,
    firstTs: new Float64Array(buffer, o + 16, blocks),
    lastTs: new Float64Array(buffer, o + 16 + 8 * blocks, blocks),
    reps: chunkColumns(own.subarray(at, at + chunkSize(reps))),
    repStart: new Uint32Array(buffer, o + startsAt, blocks + 1),
    role: new Uint8Array(buffer, o + startsAt + 4 * (blocks + 1), reps),
  };
}

/**
 * Rows from which a chunk gets a rollup (core/rollup.ts): about 4 % more bytes, written with it,
 * so that a chart over it reads ~1/25 of the chunk. Smaller chunks are read whole.
 */
export const ROLLUP_MIN_ROWS = 2_048;

/** The encoded rollup store.db keeps of a chunk (encodeChunk's layout, 8-byte-aligned), if it gets one. */
export function rollupOf(chunk: Uint8Array): Uint8Array | undefined {
  const rows = chunkColumns(chunk);
  const rollup = rows.length >= ROLLUP_MIN_ROWS ? buildRollup(rows) : undefined;
  return rollup === undefined ? undefined : encodeRollup(rollup);
}

/**
 * A checkpoint packed into a few flat buffers, so it crosses to a worker thread by transfer
 * (no structured clone of 10,000s of objects on the sending thread). Chunks are in encodeChunk's
 * layout, back to back at 8-byte-aligned offsets; states are UTF-8, back to back. Each index row
 * is [seriesId, byteOffset, byteLength] into its bytes.
 */
export interface PackedCheckpoint {
  offset: number;
  chunkIndex: Float64Array;
  chunkBytes: Uint8Array;
  stateIndex: Float64Array;
  stateBytes: Uint8Array;
  anomalies: Anomaly[];
  /** Points flushed ahead of a checkpoint: the checkpoint offset stays as it is. */
  pointsOnly: boolean;
}

/** The buffers of `p` to list as transferables. */
export function transferablesOf(p: PackedCheckpoint): ArrayBuffer[] {
  return [p.chunkIndex, p.chunkBytes, p.stateIndex, p.stateBytes].map((a) => a.buffer as ArrayBuffer);
}

/**
 * Buffers of an earlier packed checkpoint, for packCheckpoint to write into when they are big
 * enough (either may be absent: StoreWriter keeps only buffers up to SPARE_MAX_BYTES). Writing into fresh memory costs a page fault per 4 KiB, which for tens of MB is more
 * than the copying itself.
 */
export interface SpareBuffers {
  chunks?: ArrayBuffer;
  states?: ArrayBuffer;
}

/** Items packed between two yields of packCheckpoint (the caller decides whether to pause there). */
const PACK_STEP = 64;
const utf8 = new TextEncoder();

/** `spare` when it holds at least `size` bytes, else a new buffer with room to grow. */
const bufferFor = (size: number, spare: ArrayBuffer | undefined) =>
  spare !== undefined && spare.byteLength >= size ? spare : new ArrayBuffer(size + (size >> 3));

/**
 * Packs a checkpoint; a generator so the caller can spread the copying over several turns. The
 * inputs MUST NOT change until it is done. Empty chunks are left out. `spare`'s buffers are
 * reused (and then belong to the result).
 */
export function* packCheckpoint(
  data: {
    offset: number;
    points: ReadonlyMap<number, PointColumns>;
    anomalies: readonly Anomaly[];
    states: ReadonlyMap<number, string>;
    pointsOnly?: boolean;
  },
  spare?: SpareBuffers,
): Generator<void, PackedCheckpoint> {
  let chunks = 0;
  let size = 0;
  for (const c of data.points.values()) {
    if (c.length === 0) continue;
    chunks++;
    size += (chunkSize(c.length) + 7) & ~7;
  }
  const chunkBuf = bufferFor(size, spare?.chunks);
  const views = viewsOf(chunkBuf);
  const chunkIndex = new Float64Array(3 * chunks);
  let at = 0;
  let row = 0;
  for (const [sid, c] of data.points) {
    if (c.length === 0) continue;
    const len = encodeChunkAt(c, views, at);
    chunkIndex[row++] = sid;
    chunkIndex[row++] = at;
    chunkIndex[row++] = len;
    at += (len + 7) & ~7;
    if (row % (3 * PACK_STEP) === 0) yield;
  }

  // Sized for ASCII (what JSON state mostly is); grows when a string needs more.
  let chars = 0;
  for (const s of data.states.values()) chars += s.length;
  let stateBytes = new Uint8Array(bufferFor(chars, spare?.states));
  const stateIndex = new Float64Array(3 * data.states.size);
  at = 0;
  row = 0;
  for (const [sid, s] of data.states) {
    for (;;) {
      const r = utf8.encodeInto(s, stateBytes.subarray(at));
      if (r.read === s.length) {
        stateIndex[row++] = sid;
        stateIndex[row++] = at;
        stateIndex[row++] = r.written;
        at += r.written;
        break;
      }
      const bigger = new Uint8Array(Math.max(2 * stateBytes.length, at + 3 * s.length));
      bigger.set(stateBytes.subarray(0, at));
      stateBytes = bigger;
    }
    if (row % (3 * PACK_STEP) === 0) yield;
  }
  return {
    offset: data.offset,
    chunkIndex,
    chunkBytes: views.u8,
    stateIndex,
    stateBytes,
    anomalies: [...data.anomalies],
    pointsOnly: data.pointsOnly === true,
  };
}

/** The series' [lowest, highest] ts of a chunk in encodeChunk's layout (8-byte-aligned in its buffer). */
export function chunkTimeRange(chunk: Uint8Array): [number, number] {
  const n = new Uint32Array(chunk.buffer, chunk.byteOffset, 1)[0]!;
  const ts = new Float64Array(chunk.buffer, chunk.byteOffset + 8, n);
  let lo = ts[0]!;
  let hi = lo;
  for (let i = 1; i < n; i++) {
    const t = ts[i]!;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return [lo, hi];
}

/** Chunk rowids as chunk_runs stores them: little-endian float64s. */
export function encodeRowids(ids: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 * ids.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < ids.length; i++) view.setFloat64(8 * i, ids[i]!, true);
  return out;
}

export function decodeRowids(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ids = new Array<number>(bytes.byteLength >> 3);
  for (let i = 0; i < ids.length; i++) ids[i] = view.getFloat64(8 * i, true);
  return ids;
}
