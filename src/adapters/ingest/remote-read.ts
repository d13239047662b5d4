/**
 * Prometheus remote_read (the sampled response type): a snappy block holding a protobuf
 * `prometheus.ReadRequest`, answered with a snappy block holding a `prometheus.ReadResponse`.
 *
 *   ReadRequest  { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
 *   Query        { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
 *                  repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
 *   LabelMatcher { Type type = 1 (EQ 0, NEQ 1, RE 2, NRE 3); string name = 2; string value = 3; }
 *   ReadResponse { repeated QueryResult results = 1; }
 *   QueryResult  { repeated TimeSeries timeseries = 1; }   (TimeSeries as in remote_write)
 *
 * Every client accepts SAMPLES (the protocol's default); STREAMED_XOR_CHUNKS, which a client may
 * prefer, is not offered. Hints are ignored. Unknown fields are skipped as protobuf requires.
 */
import { compress } from 'snappyjs';
import { VigilError } from '../../core/errors.ts';
import type {
  RemoteReadCodec,
  RemoteReadMatcher,
  RemoteReadQuery,
  RemoteReadSeries,
} from '../../ports/remote-read.ts';
import { encodeWriteRequest } from './encode.ts';
import { decodeSnappyBlock, SnappyError, SnappyTooLargeError } from './snappy.ts';

/** The largest decoded ReadRequest accepted: a request is a few matchers per query. */
export const REMOTE_READ_MAX_BYTES = 1024 * 1024;

const OPS: readonly RemoteReadMatcher['op'][] = ['=', '!=', '=~', '!~'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a remote_read body; throws VIGIL_ERR_BAD_REMOTE_READ naming the query and field. */
export function decodeReadRequest(body: Uint8Array | undefined, maxDecodedBytes: number): RemoteReadQuery[] {
  if (body === undefined || body.length === 0)
    throw bad('empty body: expected a snappy-compressed ReadRequest');
  let data: Buffer;
  try {
    data = decodeSnappyBlock(body, maxDecodedBytes);
  } catch (err) {
    if (err instanceof SnappyTooLargeError) throw bad(`decoded body is larger than ${maxDecodedBytes} bytes`);
    if (err instanceof SnappyError) throw bad(`not a snappy block: ${err.message}`);
    throw err;
  }
  const queries: RemoteReadQuery[] = [];
  const r = new Reader(data, 0, data.length, 'ReadRequest');
  while (r.more()) {
    const [field, wire] = r.key();
    if (field === 1 && wire === 2) queries.push(readQuery(r.sub(`queries[${queries.length}]`)));
    else r.skip(wire);
  }
  if (queries.length === 0) throw bad('the ReadRequest holds no query');
  return queries;
}

function readQuery(r: Reader): RemoteReadQuery {
  const q: RemoteReadQuery = { startMs: 0, endMs: 0, matchers: [] };
  while (r.more()) {
    const [field, wire] = r.key();
    if (field === 1 && wire === 0) q.startMs = r.int64();
    else if (field === 2 && wire === 0) q.endMs = r.int64();
    else if (field === 3 && wire === 2)
      q.matchers.push(readMatcher(r.sub(`${r.where}.matchers[${q.matchers.length}]`)));
    else r.skip(wire);
  }
  return q;
}

function readMatcher(r: Reader): RemoteReadMatcher {
  let type = 0;
  let name = '';
  let value = '';
  while (r.more()) {
    const [field, wire] = r.key();
    if (field === 1 && wire === 0) type = r.int64();
    else if (field === 2 && wire === 2) name = r.text();
    else if (field === 3 && wire === 2) value = r.text();
    else r.skip(wire);
  }
  const op = OPS[type];
  if (op === undefined) throw bad(`${r.where}.type ${type} is not EQ, NEQ, RE or NRE`);
  if (name === '') throw bad(`${r.where}.name is empty`);
  return { op, name, value };
}

/** The snappy-compressed ReadResponse: one QueryResult per query, in order. */
export function encodeReadResponse(results: readonly (readonly RemoteReadSeries[])[]): Uint8Array {
  const bodies = results.map((series) => encodeWriteRequest(series));
  const parts: number[][] = bodies.map((b) => [0x0a, ...varint(b.length)]);
  let size = 0;
  for (let i = 0; i < bodies.length; i++) size += parts[i]!.length + bodies[i]!.length;
  const out = new Uint8Array(size);
  let pos = 0;
  for (let i = 0; i < bodies.length; i++) {
    out.set(parts[i]!, pos);
    pos += parts[i]!.length;
    out.set(bodies[i]!, pos);
    pos += bodies[i]!.length;
  }
  return compress(out);
}

/** The codec the `/api/v1/read` route is given: bodies up to `maxDecodedBytes` decoded. */
export function remoteReadCodec(maxDecodedBytes: number): RemoteReadCodec {
  return {
    decode: (body) => decodeReadRequest(body, maxDecodedBytes),
    encode: encodeReadResponse,
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
  };
}

function varint(v: number): number[] {
  const out: number[] = [];
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function bad(message: string): VigilError {
  return new VigilError('VIGIL_ERR_BAD_REMOTE_READ', message, { location: { field: 'body' } });
}

/** A bounded view of a protobuf message; errors name `where` (the message's path). */
class Reader {
  readonly #buf: Uint8Array;
  #pos: number;
  readonly #end: number;
  readonly where: string;

  constructor(buf: Uint8Array, pos: number, end: number, where: string) {
    this.#buf = buf;
    this.#pos = pos;
    this.#end = end;
    this.where = where;
  }

  more(): boolean {
    return this.#pos < this.#end;
  }

  key(): [number, number] {
    const k = this.#varint();
    return [Math.floor(k / 8), k % 8];
  }

  /** An int64 varint as a number (exact within ±2^53; negative values take ten bytes). */
  int64(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.#pos >= this.#end || shift > 63n) throw bad(`${this.where}: truncated or overlong varint`);
      const b = this.#buf[this.#pos++]!;
      result |= BigInt(b & 127) << shift;
      if (b < 128) break;
      shift += 7n;
    }
    return Number(BigInt.asIntN(64, result));
  }

  text(): string {
    const n = this.#len();
    try {
      return utf8.decode(this.#buf.subarray(this.#pos - n, this.#pos));
    } catch {
      throw bad(`${this.where}: a string is not valid UTF-8`);
    }
  }

  sub(where: string): Reader {
    const n = this.#len();
    return new Reader(this.#buf, this.#pos - n, this.#pos, where);
  }

  skip(wire: number): void {
    if (wire === 0) this.int64();
    else if (wire === 1) this.#advance(8);
    else if (wire === 2) this.#len();
    else if (wire === 5) this.#advance(4);
    else throw bad(`${this.where}: unsupported wire type ${wire}`);
  }

  /** Reads a length prefix and moves past that many bytes; returns the length. */
  #len(): number {
    const n = this.#varint();
    this.#advance(n);
    return n;
  }

  #advance(n: number): void {
    if (this.#pos + n > this.#end) throw bad(`${this.where}: truncated`);
    this.#pos += n;
  }

  #varint(): number {
    const v = this.int64();
    if (v < 0 || v > 0x7fffffff) throw bad(`${this.where}: a length or key is out of range`);
    return v;
  }
}
