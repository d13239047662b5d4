/**
 * Encoders for the ingest formats: the inverse of the parsers, for tests, the load generator and
 * examples. They trust their input (valid series, finite values, integer ts) and throw RangeError
 * on what they cannot represent.
 */
import { compress } from 'snappyjs';
import type { IngestPoint } from '../../core/point.ts';
import type { Tags } from '../../core/series.ts';
import type { LineProtocolPrecision } from './line-protocol.ts';

/** JSON body `{"points":[…]}` as parseJsonPoints reads it. */
export function encodeJsonPoints(points: readonly IngestPoint[]): string {
  return JSON.stringify({ points: points.map(jsonPoint) });
}

/** NDJSON body, one point per line, as parseNdjsonPoints reads it. */
export function encodeNdjsonPoints(points: readonly IngestPoint[]): string {
  let out = '';
  for (const p of points) out += `${JSON.stringify(jsonPoint(p))}\n`;
  return out;
}

function jsonPoint(p: IngestPoint): IngestPoint {
  return { metric: p.metric, tags: p.tags, ts: p.ts, value: p.value };
}

const MS_PER: Record<LineProtocolPrecision, number> = {
  ns: 1,
  us: 1,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Line protocol for `points`. A metric `<measurement>_<field>` is split at its last underscore,
 * which parseLineProtocol joins back; consecutive points with the same measurement, tags and ts
 * share one line, as Telegraf writes them. At precision s, m and h the ts is floored.
 */
export function encodeLineProtocol(
  points: readonly IngestPoint[],
  precision: LineProtocolPrecision = 'ms',
): string {
  let out = '';
  let prefix = '';
  let ts = Number.NaN;
  for (const p of points) {
    const cut = p.metric.lastIndexOf('_');
    if (cut <= 0 || cut === p.metric.length - 1 || p.metric.startsWith('#')) {
      // A leading `#` would read as a comment, and line protocol has no escape for it.
      throw new RangeError(`metric \`${p.metric}\` has no \`<measurement>_<field>\` form`);
    }
    const linePrefix = escapeToken(p.metric.slice(0, cut), false) + tagSet(p.tags);
    const field = `${escapeToken(p.metric.slice(cut + 1), true)}=${formatFloat(p.value)}`;
    if (linePrefix === prefix && p.ts === ts) {
      out += `,${field}`;
      continue;
    }
    if (prefix !== '') out += ` ${formatTimestamp(ts, precision)}\n`;
    prefix = linePrefix;
    ts = p.ts;
    out += `${linePrefix} ${field}`;
  }
  if (prefix !== '') out += ` ${formatTimestamp(ts, precision)}\n`;
  return out;
}

function tagSet(tags: Tags): string {
  let out = '';
  for (const name of Object.keys(tags).sort())
    out += `,${escapeToken(name, true)}=${escapeToken(tags[name]!, true)}`;
  return out;
}

/** Escapes a measurement (`, ` and backslash) or a key/tag value (also `=`). */
function escapeToken(s: string, key: boolean): string {
  let out = '';
  for (const ch of s) {
    if (ch === ',' || ch === ' ' || ch === '\\' || (key && ch === '=')) out += '\\';
    out += ch;
  }
  return out;
}

function formatFloat(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`value ${v} cannot be written as line protocol`);
  return Object.is(v, -0) ? '-0' : String(v);
}

function formatTimestamp(ts: number, precision: LineProtocolPrecision): string {
  if (!Number.isSafeInteger(ts) || ts < 0) throw new RangeError(`ts ${ts} is not a non-negative integer`);
  if (precision === 'ns') return ts === 0 ? '0' : `${ts}000000`;
  if (precision === 'us') return ts === 0 ? '0' : `${ts}000`;
  return String(Math.floor(ts / MS_PER[precision]));
}

/** One remote_write series; `stale: true` writes Prometheus' staleness marker instead of `value`. */
export interface RemoteWriteSeries {
  labels: Readonly<Record<string, string>>;
  samples: readonly { ts: number; value: number; stale?: boolean }[];
}

/** A snappy-compressed `prometheus.WriteRequest`, as Prometheus sends it. Labels are sorted by name. */
export function encodeRemoteWrite(series: readonly RemoteWriteSeries[]): Uint8Array {
  return compress(encodeWriteRequest(series));
}

/** The uncompressed protobuf `WriteRequest`, for tests that corrupt it before compressing. */
export function encodeWriteRequest(series: readonly RemoteWriteSeries[]): Uint8Array {
  const utf8 = new TextEncoder();
  const encoded = series.map((s) => {
    const labels = Object.keys(s.labels)
      .sort()
      .map((name) => ({ name: utf8.encode(name), value: utf8.encode(s.labels[name]!) }));
    const stamps = s.samples.map((x) => varintBytes(x.ts));
    let size = 0;
    for (const l of labels) size += lenFieldSize(lenFieldSize(l.name.length) + lenFieldSize(l.value.length));
    for (const t of stamps) size += lenFieldSize(9 + 1 + t.length);
    return { labels, stamps, size };
  });
  let total = 0;
  for (const e of encoded) total += lenFieldSize(e.size);
  const w = new Writer(total);
  for (let i = 0; i < series.length; i++) {
    const e = encoded[i]!;
    w.key(1, 2);
    w.varint(e.size);
    for (const l of e.labels) {
      w.key(1, 2);
      w.varint(lenFieldSize(l.name.length) + lenFieldSize(l.value.length));
      w.key(1, 2);
      w.bytes(l.name);
      w.key(2, 2);
      w.bytes(l.value);
    }
    const samples = series[i]!.samples;
    for (let j = 0; j < samples.length; j++) {
      const stamp = e.stamps[j]!;
      w.key(2, 2);
      w.varint(9 + 1 + stamp.length);
      w.key(1, 1);
      w.double(samples[j]!.value, samples[j]!.stale === true);
      w.key(2, 0);
      w.raw(stamp);
    }
  }
  return w.buf;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Size of a length-delimited field with a one-byte key and `len` bytes of payload. */
function lenFieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

/** An int64 as a protobuf varint; negative values take 10 bytes (two's complement). */
function varintBytes(v: number): Uint8Array {
  if (!Number.isSafeInteger(v)) throw new RangeError(`timestamp ${v} is not a safe integer`);
  let u = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  while (u >= 128n) {
    out.push(Number(u & 127n) | 128);
    u >>= 7n;
  }
  out.push(Number(u));
  return Uint8Array.from(out);
}

class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  key(field: number, wireType: number): void {
    this.buf[this.pos++] = (field << 3) | wireType;
  }

  varint(v: number): void {
    while (v >= 128) {
      this.buf[this.pos++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  raw(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  double(v: number, stale: boolean): void {
    if (stale) {
      this.view.setUint32(this.pos, 0x00000002, true);
      this.view.setUint32(this.pos + 4, 0x7ff00000, true);
    } else {
      this.view.setFloat64(this.pos, v, true);
    }
    this.pos += 8;
  }
}
