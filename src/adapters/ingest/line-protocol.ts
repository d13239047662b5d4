/**
 * InfluxDB line protocol, as Telegraf and the Influx client libraries write it:
 *
 *   measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Each numeric or boolean field becomes one point of series `<measurement>_<field>` carrying the
 * line's tags. String fields are skipped and counted (`skipped.string_field`): Telegraf sends them
 * and rejecting them would reject whole Telegraf batches. Escapes follow the InfluxDB 2.x
 * reference: `\,` and `\ ` in measurements; `\,` `\=` `\ ` in tag keys, tag values and field keys;
 * `\\` everywhere; a backslash before any other character is literal. Strings may span lines.
 *
 * The parser is one pass over the text with char codes and no regular expressions; it slices a
 * token only once it knows its end.
 */
import { type ErrorCode, VigilError } from '../../core/errors.ts';
import { MAX_TS } from '../../core/point.ts';
import { keyName, seriesKey, type Tags, validateSeries } from '../../core/series.ts';
import type { IngestLimits } from '../../ports/ingest-format.ts';
import { BatchBuilder, batchTooLarge, excerpt, type IngestBatch, type SeriesSlot } from './batch.ts';
import { isIntegerSyntax, parseFloatAt, parseInteger } from './line-protocol-values.ts';

export type LineProtocolPrecision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

const TAB = 9;
const NL = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const COMMA = 44;
const MINUS = 45;
const ZERO = 48;
const EQUALS = 61;
const BACKSLASH = 92;

/** Which characters a backslash escapes in a token; `\\` always does. */
const MEASUREMENT = 0;
const KEY_OR_TAG_VALUE = 1;

const NO_TAGS: Tags = Object.freeze({});

/**
 * Parses a line protocol body. `precision` is the unit of the timestamps; lines without one get
 * `nowMs`. Throws VigilError (VIGIL_ERR_BAD_LINE_PROTOCOL for syntax) naming the 1-based line.
 */
export function parseLineProtocol(
  text: string,
  precision: LineProtocolPrecision,
  nowMs: number,
  limits: IngestLimits,
): IngestBatch {
  return new LineParser(text, precision, nowMs, limits).parse();
}

/** A distinct `measurement[,tags]` prefix as written, parsed, with its series by field key. */
interface LinePrefix {
  measurement: string;
  tags: Tags;
  /** seriesKey of the tags alone (`{a="1"}`, or '' without tags): keyName(metric) + tagPart is the key. */
  tagPart: string;
  slots: Map<string, SeriesSlot>;
}

class LineParser {
  readonly text: string;
  readonly n: number;
  readonly limits: IngestLimits;
  readonly nowMs: number;
  readonly precision: LineProtocolPrecision;
  /** Timestamp digits dropped (ns, us) and factor applied (s, m, h) to reach milliseconds. */
  readonly drop: number;
  readonly factor: number;
  readonly batch: BatchBuilder;
  /** 1-based line of each point, to name the first point of a duplicate pair. */
  readonly pointLines: number[] = [];
  readonly prefixes = new Map<string, LinePrefix>();
  pos = 0;
  /** Physical line at `pos`; `at` is the line where the current entry starts. */
  line = 1;
  at = 1;
  // Numeric fields of the current entry, reused across entries.
  fieldNames: string[] = [];
  fieldValues: number[] = [];
  fieldCount = 0;

  constructor(text: string, precision: LineProtocolPrecision, nowMs: number, limits: IngestLimits) {
    this.text = text;
    this.n = text.length;
    this.limits = limits;
    this.nowMs = nowMs;
    this.precision = precision;
    this.batch = new BatchBuilder(limits.maxPoints);
    switch (precision) {
      case 'ns':
        this.drop = 6;
        this.factor = 1;
        break;
      case 'us':
        this.drop = 3;
        this.factor = 1;
        break;
      case 'ms':
        this.drop = 0;
        this.factor = 1;
        break;
      case 's':
        this.drop = 0;
        this.factor = 1000;
        break;
      case 'm':
        this.drop = 0;
        this.factor = 60_000;
        break;
      case 'h':
        this.drop = 0;
        this.factor = 3_600_000;
        break;
      default:
        throw new VigilError('VIGIL_ERR_BAD_REQUEST', `unknown precision \`${String(precision)}\``, {
          location: { field: 'precision' },
        });
    }
  }

  parse(): IngestBatch {
    const text = this.text;
    const n = this.n;
    while (this.pos < n) {
      let i = this.pos;
      let c = text.charCodeAt(i);
      while (c === SPACE || c === TAB) c = text.charCodeAt(++i);
      if (i >= n) break;
      if (c === HASH) {
        const nl = text.indexOf('\n', i);
        this.pos = nl < 0 ? n : nl + 1;
        this.line++;
        continue;
      }
      this.pos = i;
      this.at = this.line;
      if (c === NL || c === CR) {
        this.endOfLine();
        continue;
      }
      this.entry();
    }
    return this.batch.result();
  }

  fail(message: string, field?: string, code: ErrorCode = 'VIGIL_ERR_BAD_LINE_PROTOCOL'): VigilError {
    const location = field === undefined ? { line: this.at } : { line: this.at, field };
    return new VigilError(code, `line ${this.at}: ${message}`, { location });
  }

  isEnd(c: number): boolean {
    return c === NL || c === CR || Number.isNaN(c);
  }

  /** Consumes the line ending at `pos`: LF, CRLF or the end of the text. */
  endOfLine(): void {
    const c = this.text.charCodeAt(this.pos);
    if (c === CR) {
      if (this.pos + 1 < this.n && this.text.charCodeAt(this.pos + 1) !== NL) {
        throw this.fail('unexpected carriage return (only CRLF or LF end a line)');
      }
      this.pos += 2;
    } else if (c === NL) {
      this.pos++;
    } else if (!Number.isNaN(c)) {
      throw this.fail(`unexpected \`${excerpt(this.text.slice(this.pos, this.lineEnd()))}\``);
    }
    this.line++;
  }

  lineEnd(): number {
    const nl = this.text.indexOf('\n', this.pos);
    return nl < 0 ? this.n : nl;
  }

  /** One entry: measurement, tags, fields, timestamp; emits its points. */
  entry(): void {
    const text = this.text;
    // Batches repeat a few `measurement,tags` prefixes many times: parse each distinct one once.
    const start = this.pos;
    const end = this.prefixEnd();
    const raw = text.slice(start, end);
    let prefix = this.prefixes.get(raw);
    if (prefix === undefined) {
      prefix = this.prefix();
      if (this.pos === end) this.prefixes.set(raw, prefix);
    } else {
      this.pos = end;
    }
    let c = text.charCodeAt(this.pos);
    while (c === SPACE) c = text.charCodeAt(++this.pos);
    if (this.isEnd(c)) throw this.fail('missing field set (expected `measurement[,tags] field=value`)');
    this.fieldSet();
    c = text.charCodeAt(this.pos);
    let ts = this.nowMs;
    if (c === SPACE) {
      while (c === SPACE) c = text.charCodeAt(++this.pos);
      if (!this.isEnd(c)) {
        ts = this.timestamp();
        c = text.charCodeAt(this.pos);
        while (c === SPACE) c = text.charCodeAt(++this.pos);
      }
    }
    if (!this.isEnd(c)) {
      throw this.fail(`unexpected \`${excerpt(text.slice(this.pos, this.lineEnd()))}\` after the timestamp`);
    }
    this.endOfLine();
    this.emit(prefix, ts);
  }

  /** End of the `measurement[,tags]` prefix at `pos`: its first unescaped space, or the line end. */
  prefixEnd(): number {
    const text = this.text;
    const n = this.n;
    let i = this.pos;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        if (i + 1 < n && escapes(KEY_OR_TAG_VALUE, text.charCodeAt(i + 1))) i++;
      } else if (c === SPACE || c === NL || c === CR) {
        break;
      }
    }
    return i;
  }

  /** Parses `measurement[,tags]` and leaves `pos` at the space that must follow it. */
  prefix(): LinePrefix {
    const measurement = this.token(MEASUREMENT);
    if (measurement.length === 0) throw this.fail('missing measurement', 'measurement');
    let tags = NO_TAGS;
    if (this.text.charCodeAt(this.pos) === COMMA) tags = this.tagSet();
    if (this.text.charCodeAt(this.pos) !== SPACE) {
      throw this.fail('missing field set (expected `measurement[,tags] field=value`)');
    }
    // The tag part of the series key is shared by every field: build it once.
    const tagPart = tags === NO_TAGS ? '' : seriesKey('', tags);
    return { measurement, tags, tagPart, slots: new Map() };
  }

  /**
   * Reads a measurement, key or tag value up to its first unescaped terminator and leaves `pos`
   * there. Terminators: comma, space, line end, and `=` unless reading a measurement.
   */
  token(kind: number): string {
    const text = this.text;
    const n = this.n;
    const start = this.pos;
    let escaped = false;
    let i = start;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === BACKSLASH) {
        if (i + 1 < n && escapes(kind, text.charCodeAt(i + 1))) {
          escaped = true;
          i++;
        }
      } else if (
        c === COMMA ||
        c === SPACE ||
        c === NL ||
        c === CR ||
        (c === EQUALS && kind === KEY_OR_TAG_VALUE)
      ) {
        break;
      }
    }
    this.pos = i;
    return escaped ? unescapeToken(text, start, i, kind) : text.slice(start, i);
  }

  tagSet(): Tags {
    const text = this.text;
    const tags: Record<string, string> = {};
    let count = 0;
    while (text.charCodeAt(this.pos) === COMMA) {
      this.pos++;
      const key = this.token(KEY_OR_TAG_VALUE);
      if (key.length === 0) throw this.fail('empty tag key', 'tags');
      if (text.charCodeAt(this.pos) !== EQUALS) {
        throw this.fail(`tag \`${excerpt(key)}\` has no value (expected \`key=value\`)`, `tags.${key}`);
      }
      this.pos++;
      const value = this.token(KEY_OR_TAG_VALUE);
      if (text.charCodeAt(this.pos) === EQUALS) {
        throw this.fail(`tag \`${excerpt(key)}\` value contains an unescaped \`=\``, `tags.${key}`);
      }
      if (value.length === 0) throw this.fail(`tag \`${excerpt(key)}\` has an empty value`, `tags.${key}`);
      if (Object.hasOwn(tags, key)) throw this.fail(`duplicate tag key \`${excerpt(key)}\``, `tags.${key}`);
      if (++count > this.limits.series.maxTagsPerSeries) {
        throw this.fail(
          `series has more than ${this.limits.series.maxTagsPerSeries} tags (ingest.maxTagsPerSeries)`,
          'tags',
          'VIGIL_ERR_TOO_MANY_TAGS',
        );
      }
      // A plain assignment of `__proto__` would set the prototype instead of adding a tag.
      if (key === '__proto__') Object.defineProperty(tags, key, { value, enumerable: true, writable: true });
      else tags[key] = value;
    }
    return tags;
  }

  /** Reads `key=value[,key=value…]`; leaves `pos` at the space or line end after the last one. */
  fieldSet(): void {
    const text = this.text;
    this.fieldCount = 0;
    for (;;) {
      const key = this.token(KEY_OR_TAG_VALUE);
      if (key.length === 0) throw this.fail('empty field key', 'fields');
      if (text.charCodeAt(this.pos) !== EQUALS) {
        throw this.fail(`field \`${excerpt(key)}\` has no value (expected \`key=value\`)`, `fields.${key}`);
      }
      this.pos++;
      if (text.charCodeAt(this.pos) === QUOTE) {
        this.skipString(key);
        this.batch.skip('string_field');
      } else {
        const start = this.pos;
        let i = start;
        for (; i < this.n; i++) {
          const c = text.charCodeAt(i);
          if (c === COMMA || c === SPACE || c === NL || c === CR) break;
        }
        this.pos = i;
        if (i === start) throw this.fail(`field \`${excerpt(key)}\` has an empty value`, `fields.${key}`);
        this.fieldNames[this.fieldCount] = key;
        this.fieldValues[this.fieldCount] = this.fieldValue(key, start, i);
        this.fieldCount++;
      }
      const c = text.charCodeAt(this.pos);
      if (c !== COMMA) {
        if (c === SPACE || this.isEnd(c)) return;
        throw this.fail(
          `unexpected \`${excerpt(text.slice(this.pos, this.lineEnd()))}\` after the value of field \`${excerpt(key)}\``,
          `fields.${key}`,
        );
      }
      this.pos++;
    }
  }

  /** Skips a quoted string field value; it may contain escaped quotes and newlines. */
  skipString(key: string): void {
    const text = this.text;
    let i = this.pos + 1;
    for (;;) {
      if (i >= this.n) {
        throw this.fail(`string value of field \`${excerpt(key)}\` is not terminated`, `fields.${key}`);
      }
      const c = text.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        i++;
        if (text.charCodeAt(i) === NL) this.line++;
      } else if (c === NL) {
        this.line++;
      }
      i++;
    }
    this.pos = i + 1;
  }

  /** The number a field value in [start, end) stands for: float, `i` integer, `u` unsigned or boolean. */
  fieldValue(key: string, start: number, end: number): number {
    const text = this.text;
    const first = text.charCodeAt(start);
    const last = text.charCodeAt(end - 1);
    if (first === 116 || first === 84 || first === 102 || first === 70) {
      // t T f F
      switch (text.slice(start, end)) {
        case 't':
        case 'T':
        case 'true':
        case 'True':
        case 'TRUE':
          return 1;
        case 'f':
        case 'F':
        case 'false':
        case 'False':
        case 'FALSE':
          return 0;
      }
    } else if (last === 105 || last === 117) {
      // i u
      const v = parseInteger(text, start, end - 1, last === 117);
      if (Number.isNaN(v)) {
        const kind = last === 105 ? 'integer' : 'unsigned integer';
        const why = isIntegerSyntax(text, start, end - 1, last === 117)
          ? 'is out of range'
          : `is not an ${kind}`;
        throw this.fail(`field value \`${excerpt(text.slice(start, end))}\` ${why}`, `fields.${key}`);
      }
      return v;
    } else {
      const v = parseFloatAt(text, start, end);
      if (Number.isFinite(v)) return v;
      if (!Number.isNaN(v) || /^[+-]?(nan|inf|infinity)$/i.test(text.slice(start, end))) {
        throw this.fail(
          `field value \`${excerpt(text.slice(start, end))}\` is not a finite number`,
          `fields.${key}`,
          'VIGIL_ERR_BAD_POINT',
        );
      }
    }
    throw this.fail(`field value \`${excerpt(text.slice(start, end))}\` is not a number`, `fields.${key}`);
  }

  /** Reads `-?digits` at `pos` and converts it to epoch ms without going through a float. */
  timestamp(): number {
    const text = this.text;
    const start = this.pos;
    let i = start;
    for (; i < this.n; i++) {
      const c = text.charCodeAt(i);
      if (c === SPACE || c === NL || c === CR) break;
    }
    this.pos = i;
    const negative = text.charCodeAt(start) === MINUS;
    const s = negative ? start + 1 : start;
    // Keep the digits above the dropped sub-millisecond ones; this floors non-negative values.
    const keep = i - this.drop;
    let ms = 0;
    let nonZero = false;
    for (let j = s; j < i; j++) {
      const d = text.charCodeAt(j) - ZERO;
      if (d < 0 || d > 9) {
        throw this.fail(`timestamp \`${excerpt(text.slice(start, i))}\` is not an integer`, 'timestamp');
      }
      if (d !== 0) nonZero = true;
      if (j < keep && ms <= MAX_TS) ms = ms * 10 + d;
    }
    if (s === i) {
      throw this.fail(`timestamp \`${excerpt(text.slice(start, i))}\` is not an integer`, 'timestamp');
    }
    ms *= this.factor;
    if ((negative && nonZero) || ms > MAX_TS) {
      throw this.fail(
        `timestamp \`${excerpt(text.slice(start, i))}\` is out of range (years 1970..2999 at precision ${this.precision})`,
        'timestamp',
        'VIGIL_ERR_BAD_POINT',
      );
    }
    return ms;
  }

  emit(prefix: LinePrefix, ts: number): void {
    const batch = this.batch;
    for (let f = 0; f < this.fieldCount; f++) {
      const field = this.fieldNames[f]!;
      let slot = prefix.slots.get(field);
      if (slot === undefined) {
        const metric = `${prefix.measurement}_${field}`;
        const key = keyName(metric) + prefix.tagPart;
        slot = batch.series(key);
        if (slot === undefined) {
          if (this.limits.knownSeries?.(key) !== true) {
            validateSeries(metric, prefix.tags, this.limits.series, { line: this.at });
          }
          slot = batch.addSeries(key, metric, prefix.tags);
        }
        prefix.slots.set(field, slot);
      }
      if (batch.full) throw batchTooLarge(this.limits.maxPoints, `line ${this.at}`, { line: this.at });
      const prev = batch.push(slot, ts, this.fieldValues[f]!);
      if (prev >= 0) {
        const key = excerpt(seriesKey(slot.metric, slot.tags), 200);
        throw this.fail(
          `duplicate point: series ${key} at ts ${ts} already appears on line ${this.pointLines[prev]}`,
          `fields.${field}`,
          'VIGIL_ERR_DUPLICATE_POINT',
        );
      }
      this.pointLines.push(this.at);
    }
  }
}

function escapes(kind: number, c: number): boolean {
  return c === BACKSLASH || c === COMMA || c === SPACE || (c === EQUALS && kind === KEY_OR_TAG_VALUE);
}

function unescapeToken(text: string, start: number, end: number, kind: number): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === BACKSLASH && i + 1 < end && escapes(kind, text.charCodeAt(i + 1))) {
      out += text.slice(from, i);
      from = i + 1;
      i++;
    }
  }
  return out + text.slice(from, end);
}
