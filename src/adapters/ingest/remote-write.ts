/**
 * Prometheus remote_write 1.0: a snappy block holding a protobuf `prometheus.WriteRequest`.
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2;
 *                  repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 *
 * The protobuf reader is hand-written: it allocates nothing per sample, reports offsets, and
 * measured faster than protobufjs (bench/parsers.ts). Unknown fields are skipped as protobuf
 * requires. `__name__` becomes the metric, other labels the tags, labels with an empty value are
 * dropped (Prometheus semantics). Stale markers and other non-finite samples are skipped and
 * counted rather than rejected: Prometheus drops a whole batch on a 4xx, good samples included.
 * Decoded label sets are memoised across requests (label-cache.ts): pass the same `limits.series`
 * object each time so that their validation is memoised too.
 */
import { VigilError } from '../../core/errors.ts';
import { MAX_TS, MIN_TS } from '../../core/point.ts';
import { seriesKey, type Tags, validateSeries } from '../../core/series.ts';
import { looksLikeSeconds } from '../../core/time.ts';
import type { IngestLimits } from '../../ports/ingest-format.ts';
import { BatchBuilder, batchTooLarge, excerpt, type IngestBatch, type SeriesSlot } from './batch.ts';
import {
  asciiString,
  findLabelSet,
  labelSetHash,
  leadingLabelsEnd,
  rememberLabelSet,
} from './label-cache.ts';
import { decodeSnappyBlock, SnappyError, SnappyTooLargeError } from './snappy.ts';

export interface RemoteWriteOptions {
  /** Largest decoded (uncompressed) body accepted, read from the snappy header. Default 64 MiB. */
  maxDecodedBytes?: number;
}

export const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

// Prometheus' staleness marker: a NaN with this exact bit pattern.
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const NO_TAGS: Tags = Object.freeze({});

/** Decodes a remote_write body. Throws VigilError; the message names the timeseries and field. */
export function decodeRemoteWrite(
  body: Uint8Array,
  limits: IngestLimits,
  options: RemoteWriteOptions = {},
): IngestBatch {
  const max = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  let data: Buffer;
  try {
    data = decodeSnappyBlock(body, max);
  } catch (err) {
    if (err instanceof SnappyTooLargeError) {
      throw new VigilError('VIGIL_ERR_BODY_TOO_LARGE', `remote_write body: ${err.message}`, {
        location: {},
        cause: err,
      });
    }
    if (err instanceof SnappyError) {
      throw new VigilError('VIGIL_ERR_BAD_REMOTE_WRITE', `invalid snappy block: ${err.message}`, {
        location: {},
        cause: err,
      });
    }
    throw err;
  }
  return new WriteRequestDecoder(data, limits).decode();
}

class WriteRequestDecoder {
  readonly buf: Buffer;
  readonly view: DataView;
  readonly limits: IngestLimits;
  readonly batch: BatchBuilder;
  pos = 0;
  /** Index of the timeseries being decoded, for messages. */
  series = -1;
  // Timeseries and sample index of each point, to name the first of a duplicate pair.
  pointSeries: number[] = [];
  pointSample: number[] = [];
  // Results of label() and fields(), kept in fields so that decoding allocates only what it keeps.
  labelName = '';
  labelValue = '';
  samples = 0;
  firstSample = 0;
  histograms = 0;
  metric: string | undefined;
  tags: Tags = NO_TAGS;
  labelsInRun = true;

  constructor(buf: Buffer, limits: IngestLimits) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.limits = limits;
    this.batch = new BatchBuilder(limits.maxPoints);
  }

  decode(): IngestBatch {
    const end = this.buf.length;
    while (this.pos < end) {
      const key = this.key(end);
      if (key === (1 << 3) + WIRE_LEN) {
        const len = this.length(end);
        this.series++;
        this.timeseries(this.pos, this.pos + len);
      } else if (key >>> 3 === 1) {
        throw this.malformed(`field 1 (timeseries) has wire type ${key & 7}, expected 2`);
      } else {
        this.skip(key, end);
      }
    }
    return this.batch.result();
  }

  malformed(message: string): VigilError {
    const where = this.series >= 0 ? `timeseries[${this.series}]: ` : '';
    const location = this.series >= 0 ? { index: this.series } : {};
    return new VigilError(
      'VIGIL_ERR_BAD_REMOTE_WRITE',
      `invalid protobuf WriteRequest: ${where}${message} (at decoded byte ${this.pos})`,
      { location },
    );
  }

  /** Whether the last multi-byte varint took all 10 bytes: as an int64, a negative number. */
  wideVarint = false;

  varint(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= end) throw this.malformed('truncated varint');
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      this.wideVarint = false;
      return b;
    }
    // Exact below 2^53; larger values only occur as out-of-range timestamps or bad lengths.
    let v = b & 0x7f;
    let mul = 128;
    for (let k = 1; k < 10; k++) {
      if (pos >= end) throw this.malformed('truncated varint');
      b = buf[pos++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) {
        this.pos = pos;
        this.wideVarint = k === 9;
        return v;
      }
      mul *= 128;
    }
    throw this.malformed('varint longer than 10 bytes');
  }

  /** A field key (field number << 3 | wire type); rejects field number 0. */
  key(end: number): number {
    const key = this.varint(end);
    if (key < 8 || key > 0xffffffff) throw this.malformed(`invalid field key ${key}`);
    return key;
  }

  /** A length prefix, checked against the end of the enclosing message. */
  length(end: number): number {
    const len = this.varint(end);
    if (len > end - this.pos) throw this.malformed(`length ${len} runs past the end of its message`);
    return len;
  }

  skip(key: number, end: number): void {
    switch (key & 7) {
      case WIRE_VARINT:
        this.varint(end);
        return;
      case WIRE_FIXED64:
        if (end - this.pos < 8) throw this.malformed('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN: {
        // Not `this.pos += this.length(end)`: that adds to the position from before the prefix.
        const len = this.length(end);
        this.pos += len;
        return;
      }
      case WIRE_FIXED32:
        if (end - this.pos < 4) throw this.malformed('truncated fixed32');
        this.pos += 4;
        return;
      default:
        throw this.malformed(`unsupported wire type ${key & 7} for field ${Math.floor(key / 8)}`);
    }
  }

  /** A UTF-8 string in [start, end); short ASCII ones, the usual case, come from a memo. */
  string(start: number, end: number, what: string): string {
    if (start === end) return '';
    const ascii = asciiString(this.buf, start, end);
    if (ascii !== undefined) return ascii;
    try {
      return utf8.decode(this.buf.subarray(start, end));
    } catch {
      this.pos = start;
      throw this.malformed(`${what} is not valid UTF-8`);
    }
  }

  timeseries(start: number, end: number): void {
    const limits = this.limits;
    const batch = this.batch;
    // Prometheus writes all labels first; a memo keyed by their bytes spares decoding them.
    const run = leadingLabelsEnd(this.buf, start, end);
    const h = run > start ? labelSetHash(this.buf, start, run) : 0;
    let set = h !== 0 ? findLabelSet(this.buf, start, run, h) : undefined;
    if (set === undefined || !this.fields(run, end, run, false)) {
      set = undefined;
      this.fields(start, end, run, true);
    }
    if (this.histograms > 0) batch.skip('histogram', this.histograms);
    const samples = this.samples;
    if (samples === 0) return;
    if (set === undefined) {
      const metric = this.metric;
      if (metric === undefined) {
        throw new VigilError(
          'VIGIL_ERR_BAD_POINT',
          `timeseries[${this.series}]: missing label \`__name__\``,
          {
            location: { index: this.series, field: 'labels.__name__' },
          },
        );
      }
      set = { metric, tags: this.tags, key: seriesKey(metric, this.tags), validFor: null };
      if (this.labelsInRun) rememberLabelSet(this.buf, start, run, h, set);
    }
    const key = set.key;
    let slot = batch.series(key);
    if (slot === undefined) {
      if (set.validFor !== limits.series) {
        validateSeries(set.metric, set.tags, limits.series, { index: this.series });
        set.validFor = limits.series;
      }
      slot = batch.addSeries(key, set.metric, set.tags);
    }
    // Second pass, over the samples only; the first checked the framing of every field.
    this.pos = this.firstSample;
    for (let j = 0; j < samples; ) {
      const k = this.key(end);
      if (k === (2 << 3) + WIRE_LEN) {
        const len = this.length(end);
        this.sample(this.pos + len, j++, slot, key);
      } else {
        this.skip(k, end);
      }
    }
    this.pos = end;
  }

  /** Decodes the `j`th Sample of the timeseries, ending at `end`, into a point of `slot`. */
  sample(end: number, j: number, slot: SeriesSlot, key: string): void {
    const batch = this.batch;
    let value = 0;
    let stale = false;
    let ts = 0;
    while (this.pos < end) {
      const k = this.key(end);
      if (k === (1 << 3) + WIRE_FIXED64) {
        if (end - this.pos < 8) throw this.malformed('truncated sample value');
        value = this.view.getFloat64(this.pos, true);
        stale =
          Number.isNaN(value) &&
          this.view.getUint32(this.pos, true) === STALE_LO &&
          this.view.getUint32(this.pos + 4, true) === STALE_HI;
        this.pos += 8;
      } else if (k === (2 << 3) + WIRE_VARINT) {
        ts = this.varint(end);
      } else if (k >>> 3 === 1 || k >>> 3 === 2) {
        throw this.malformed(`sample field ${k >>> 3} has wire type ${k & 7}`);
      } else {
        this.skip(k, end);
      }
    }
    if (ts < MIN_TS || ts > MAX_TS || looksLikeSeconds(ts)) {
      // int64 travels as its two's complement: only a 10-byte varint (≥ 2^63) is negative; int64's
      // maximum, 2^63 - 1, rounds up to 2^63 as a double and must not be shown as negative.
      const shown = this.wideVarint
        ? 'a negative value'
        : ts >= 2 ** 53
          ? `≈${ts.toPrecision(6)}`
          : String(ts);
      const why = looksLikeSeconds(ts)
        ? `timestamp ${shown} looks like epoch seconds; remote_write timestamps are epoch milliseconds`
        : `timestamp ${shown} is outside years 1970..2999`;
      throw new VigilError('VIGIL_ERR_BAD_POINT', `timeseries[${this.series}].samples[${j}]: ${why}`, {
        location: { index: this.series, field: `samples[${j}].timestamp` },
      });
    }
    if (!Number.isFinite(value)) {
      batch.skip(stale ? 'stale_marker' : 'non_finite');
      return;
    }
    if (batch.full) {
      throw batchTooLarge(this.limits.maxPoints, `timeseries[${this.series}].samples[${j}]`, {
        index: this.series,
        field: `samples[${j}]`,
      });
    }
    const prev = batch.push(slot, ts, value);
    if (prev >= 0) {
      throw new VigilError(
        'VIGIL_ERR_DUPLICATE_POINT',
        `timeseries[${this.series}].samples[${j}]: duplicate point: series ${excerpt(key, 200)} at ts ${ts} already appears at timeseries[${this.pointSeries[prev]}].samples[${this.pointSample[prev]}]`,
        { location: { index: this.series, field: `samples[${j}].timestamp` } },
      );
    }
    this.pointSeries.push(this.series);
    this.pointSample.push(j);
  }

  /**
   * One pass over the fields of a TimeSeries from `from`: counts its samples (noting where the
   * first starts) and histograms and, with `decodeLabels`, decodes its labels into metric/tags. Without
   * it, returns false at the first label (the memoised set then does not cover all labels).
   * `run` is the end of the leading labels: labelsInRun tells whether no label lies past it.
   */
  fields(from: number, end: number, run: number, decodeLabels: boolean): boolean {
    const maxTags = this.limits.series.maxTagsPerSeries;
    let samples = 0;
    let histograms = 0;
    let metric: string | undefined;
    let tags: Record<string, string> | undefined;
    let tagCount = 0;
    this.labelsInRun = true;
    this.pos = from;
    while (this.pos < end) {
      const fieldStart = this.pos;
      const key = this.key(end);
      if (key === (1 << 3) + WIRE_LEN) {
        if (!decodeLabels) return false;
        if (fieldStart >= run) this.labelsInRun = false;
        const len = this.length(end);
        this.label(this.pos + len);
        const name = this.labelName;
        const value = this.labelValue;
        if (value.length === 0) continue;
        if (name === '__name__') {
          if (metric !== undefined) throw this.labelError('duplicate label `__name__`', name);
          metric = value;
          continue;
        }
        tags ??= {};
        if (Object.hasOwn(tags, name)) throw this.labelError(`duplicate label \`${excerpt(name)}\``, name);
        if (++tagCount > maxTags) {
          throw new VigilError(
            'VIGIL_ERR_TOO_MANY_TAGS',
            `timeseries[${this.series}]: series has more than ${maxTags} tags (ingest.maxTagsPerSeries)`,
            { location: { index: this.series, field: 'labels' } },
          );
        }
        // A plain assignment of `__proto__` would set the prototype instead of adding a tag.
        if (name === '__proto__')
          Object.defineProperty(tags, name, { value, enumerable: true, writable: true });
        else tags[name] = value;
      } else if (key === (2 << 3) + WIRE_LEN) {
        if (samples++ === 0) this.firstSample = fieldStart;
        const len = this.length(end);
        this.pos += len;
      } else if (key === (4 << 3) + WIRE_LEN) {
        const len = this.length(end);
        this.pos += len;
        histograms++;
      } else if (key >>> 3 <= 4 && key >>> 3 !== 3) {
        throw this.malformed(`field ${key >>> 3} has wire type ${key & 7}, expected 2`);
      } else {
        this.skip(key, end);
      }
    }
    this.samples = samples;
    this.histograms = histograms;
    this.metric = metric;
    this.tags = tags ?? NO_TAGS;
    return true;
  }

  /** Decodes the Label message ending at `end` into labelName/labelValue. */
  label(end: number): void {
    let name = '';
    let value = '';
    while (this.pos < end) {
      const key = this.key(end);
      if (key === (1 << 3) + WIRE_LEN || key === (2 << 3) + WIRE_LEN) {
        const len = this.length(end);
        const s = this.string(this.pos, this.pos + len, key >>> 3 === 1 ? 'label name' : 'label value');
        this.pos += len;
        if (key >>> 3 === 1) name = s;
        else value = s;
      } else if (key >>> 3 === 1 || key >>> 3 === 2) {
        throw this.malformed(`label field ${key >>> 3} has wire type ${key & 7}, expected 2`);
      } else {
        this.skip(key, end);
      }
    }
    this.labelName = name;
    this.labelValue = value;
  }

  labelError(message: string, name: string): VigilError {
    return new VigilError('VIGIL_ERR_BAD_POINT', `timeseries[${this.series}]: ${message}`, {
      location: { index: this.series, field: `labels.${name}` },
    });
  }
}
