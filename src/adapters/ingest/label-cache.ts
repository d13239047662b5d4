/**
 * Memos for remote_write decoding, shared by all requests, bounded, and invisible in results.
 *
 * Prometheus sends the same series every scrape interval, usually one sample each, so per
 * sample the work was mostly decoding labels, building tags and the series key, and validating
 * them. Both memos are direct-mapped tables: a hash picks one slot, a hit is verified byte by
 * byte, and a collision simply replaces the older entry. Only successfully decoded data is ever
 * stored, so a hit returns exactly what decoding the same bytes again would.
 */
import type { SeriesLimits, Tags } from '../../core/series.ts';

const STRING_BITS = 12;
const MAX_STRING_BYTES = 64;
const strings: (string | undefined)[] = new Array(1 << STRING_BITS).fill(undefined);

/**
 * The string for the ASCII bytes [start, end), or undefined when they are not all ASCII or too
 * long (the caller then decodes UTF-8 itself). Returning one string object for equal labels also
 * saves V8 from interning a fresh copy each time it is used as a property key.
 */
export function asciiString(buf: Buffer, start: number, end: number): string | undefined {
  const len = end - start;
  if (len > MAX_STRING_BYTES) return undefined;
  let h = len;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) return undefined;
    h = Math.imul(h ^ b, 0x01000193);
  }
  const slot = h >>> (32 - STRING_BITS);
  const cached = strings[slot];
  if (cached !== undefined && cached.length === len) {
    let k = 0;
    while (k < len && cached.charCodeAt(k) === buf[start + k]) k++;
    if (k === len) return cached;
  }
  const fresh = buf.toString('latin1', start, end);
  strings[slot] = fresh;
  return fresh;
}

/** A decoded label set: the metric, the tags and the series key of one TimeSeries. */
export interface LabelSet {
  readonly metric: string;
  readonly tags: Tags;
  readonly key: string;
  /** The limits it last passed validateSeries under (limits objects are compared by identity). */
  validFor: SeriesLimits | null;
}

interface Entry {
  /** The label bytes as a latin1 string: cheaper to create and to collect than a small Uint8Array. */
  bytes: string;
  set: LabelSet;
}

const SET_BITS = 14;
const MAX_SET_BYTES = 1024;
const sets: (Entry | undefined)[] = new Array(1 << SET_BITS).fill(undefined);
/** Hash of the last label set that missed in each slot: remembered when it comes again. */
const seen = new Int32Array(1 << SET_BITS);

/** 32-bit hash of bytes [start, end); its top SET_BITS bits pick the slot. */
function hash(buf: Uint8Array, start: number, end: number): number {
  let h = end - start;
  let i = start;
  // Four bytes per step: label sets are ~100 bytes and this runs for every TimeSeries.
  for (; i + 4 <= end; i += 4) {
    h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24)), 0x01000193);
    h ^= h >>> 15;
  }
  for (; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return (h ^ (h >>> 13)) | 0;
}

/**
 * The label set decoded earlier from exactly the bytes [start, end) of Label fields, if
 * remembered. `h` is hash(buf, start, end), from labelSetHash.
 */
export function findLabelSet(buf: Uint8Array, start: number, end: number, h: number): LabelSet | undefined {
  const len = end - start;
  const entry = sets[h >>> (32 - SET_BITS)];
  if (entry === undefined || entry.bytes.length !== len) return undefined;
  const bytes = entry.bytes;
  for (let k = 0; k < len; k++) if (bytes.charCodeAt(k) !== buf[start + k]) return undefined;
  return entry.set;
}

/** Hash of the Label bytes [start, end) for findLabelSet/rememberLabelSet; 0 when too long to memoise. */
export function labelSetHash(buf: Uint8Array, start: number, end: number): number {
  return end - start > MAX_SET_BYTES ? 0 : hash(buf, start, end) || 1;
}

/**
 * Remembers `set` as the decoding of the Label fields in bytes [start, end), on their second
 * sight only: a series seen once (churn, or the first scrape) then costs no copy and no memory.
 */
export function rememberLabelSet(buf: Buffer, start: number, end: number, h: number, set: LabelSet): void {
  if (h === 0) return;
  const slot = h >>> (32 - SET_BITS);
  if (seen[slot] !== h) {
    seen[slot] = h;
    return;
  }
  sets[slot] = { bytes: buf.toString('latin1', start, end), set };
}

/**
 * End of the run of Label fields (field 1, wire type 2) at the start of a TimeSeries message in
 * [start, end): where Prometheus puts all of them. Never throws; a malformed field ends the run.
 */
export function leadingLabelsEnd(buf: Uint8Array, start: number, end: number): number {
  let p = start;
  while (p < end && buf[p] === 0x0a) {
    let q = p + 1;
    let len = 0;
    for (let shift = 1; ; shift *= 128) {
      if (q >= end || shift > 2 ** 28) return p;
      const b = buf[q++]!;
      len += (b & 0x7f) * shift;
      if (b < 0x80) break;
    }
    if (len > end - q) return p;
    p = q + len;
  }
  return p;
}
