/**
 * Fast path of parseJsonPoints: one pass over the request text for the shape nearly every client
 * sends, `{"points":[{"metric":"…","tags":{"k":"v",…},"ts":<number>,"value":<number>},…]}`, with
 * the fields of a point in any order and JSON whitespace anywhere. It never reports errors: on
 * anything else it returns undefined and the caller runs the reference parser, which owns every
 * error message. That covers escapes and control characters in strings, string (RFC 3339)
 * timestamps, other or repeated fields, anything that is not valid JSON, invalid points and
 * series, duplicates, a series whose ts do not increase within the request, and more than
 * maxPoints points. Whenever it returns a batch, that batch equals the reference parser's: the
 * same points, keys and skipped, down to -0, tag order and which points share a tags object
 * (json-fast.test.ts checks it against the reference on generated and mutated requests).
 *
 * Where the time goes instead: the reference path builds a JSON value per point, then checks its
 * fields, builds and sorts a series key and indexes the series per point. Here a point costs a
 * scan, two numbers read in place and one lookup in a bounded memo, shared by all requests, from
 * the exact text of a series (metric plus raw tags object) to its key and frozen tags. A hit is
 * verified character by character. The memo keeps only strings built by JSON.parse or copied,
 * never slices of a request: V8 slices keep their whole request body alive.
 */

import type { IngestPoint } from '../../core/point.ts';
import { type SeriesLimits, seriesKey, type Tags, validateSeries } from '../../core/series.ts';
import { looksLikeSeconds, parseTimestamp } from '../../core/time.ts';
import type { IngestLimits } from '../../ports/ingest-format.ts';
import type { IngestBatch } from './batch.ts';

/** The tags of a point without a `tags` field, shared by both paths. */
export const NO_TAGS: Tags = Object.freeze({});

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const QUOTE = 34;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const COLON = 58;
const OPEN_BRACKET = 91;
const BACKSLASH = 92;
const CLOSE_BRACKET = 93;
const LOWER_E = 101;
const UPPER_E = 69;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;

const FAIL = -1;
const METRIC = 1;
const TAGS = 2;
const TS = 4;
const VALUE = 8;
const REQUIRED = METRIC | TS | VALUE;

/** Powers of ten that are exact doubles: a safe integer times or over one of them rounds once. */
const POW10 = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
  1e20, 1e21, 1e22,
];

/** One series as decoded from its text: metric plus raw tags object, exactly as they appeared. */
interface SeriesEntry {
  readonly metric: string;
  /** The tags object's text from `{` to `}`, or '' for a point without tags. */
  readonly rawTags: string;
  readonly tags: Tags;
  readonly key: string;
  /** Its memo hash, from the scanner. */
  readonly hash: number;
  /** Distinct tag names. */
  readonly count: number;
  /**
   * The entry that stands for its series, or null for itself: the first one decoded with this
   * key since the memo was last emptied (another one when the same series came written another
   * way, e.g. with its tags in another order). Validation and the duplicate check happen on it.
   */
  readonly canon: SeriesEntry | null;
  /** The limits it last passed validateSeries under (compared by identity, as label-cache does). */
  validFor: SeriesLimits | null;
  /**
   * The request that last met the series, the highest ts it had there, and the tags object of
   * its first point there: like the reference path, every point of a series in a request shares
   * the first one's object (`{}` and no tags at all are the same series but not the same object).
   */
  request: number;
  maxTs: number;
  requestTags: Tags;
}

// The memo: open addressing with linear probing over a power-of-two table kept at most half full.
// The hash lives in the entry, so a hit touches the table, the entry and its two strings: at
// 10,000 series these are cache misses, and the bulk of a hit's cost.
const MEMO_BITS = 15;
const MEMO_MASK = (1 << MEMO_BITS) - 1;
const MEMO_MAX = 1 << (MEMO_BITS - 1);
// Series with a longer key, or written in more characters, are decoded at each point instead of
// kept: so the memo and `canonical` stay under about 16,384 × 2 KB (32 MB) even when filled
// with the longest series they take; series of the benchmark's shape take about 200 bytes each.
const MEMO_MAX_KEY = 256;
const MEMO_MAX_TEXT = 512;
const memo: (SeriesEntry | undefined)[] = new Array(1 << MEMO_BITS).fill(undefined);
let memoSize = 0;
/**
 * Series key → canonical entry, for every entry with a key of at most MEMO_MAX_KEY decoded since
 * the memo was emptied, memoised or not. Emptied only between requests: within one, every point
 * of a series must reach the same canonical entry, or a duplicate could slip through.
 */
const canonical = new Map<string, SeriesEntry>();
let requests = 0;
/** True while a parse runs: a parse started from inside one (by knownSeries) leaves the memo alone. */
let parsing = false;
/** The metric of the last decoded series: series of one metric then share one string. */
let lastMetric = '';

/** Empties the series memo (tests use it to exercise the cold path); does nothing during a parse. */
export function clearJsonSeriesMemo(): void {
  if (parsing) return;
  memo.fill(undefined);
  memoSize = 0;
  canonical.clear();
}

/**
 * The batch for `text` when it has the common shape and is valid, else undefined: the caller
 * then parses it with the reference path. Never throws for any input.
 */
export function parseJsonPointsFast(text: string, limits: IngestLimits): IngestBatch | undefined {
  if (parsing) return undefined;
  if (memoSize >= MEMO_MAX || canonical.size >= MEMO_MAX) clearJsonSeriesMemo();
  parsing = true;
  try {
    return new Scanner(text, limits).body();
  } finally {
    parsing = false;
  }
}

class Scanner {
  readonly text: string;
  readonly end: number;
  readonly limits: IngestLimits;
  readonly request = ++requests;
  readonly points: IngestPoint[] = [];
  /** Canonical series key of each point, parallel to `points`. */
  readonly keys: string[] = [];
  /** The number read by the last call of number(). */
  num = 0;
  /** Hash of the characters read by the last call of string() or tags(). */
  hash = 0;
  /** Canonical entries of the series met in this request whose key is over MEMO_MAX_KEY. */
  longSeries: Map<string, SeriesEntry> | null = null;

  constructor(text: string, limits: IngestLimits) {
    this.text = text;
    this.end = text.length;
    this.limits = limits;
  }

  body(): IngestBatch | undefined {
    const t = this.text;
    let p = this.ws(0);
    if (t.charCodeAt(p) !== OPEN_BRACE) return undefined;
    p = this.ws(p + 1);
    if (!t.startsWith('"points"', p)) return undefined;
    p = this.ws(p + 8);
    if (t.charCodeAt(p) !== COLON) return undefined;
    p = this.ws(p + 1);
    if (t.charCodeAt(p) !== OPEN_BRACKET) return undefined;
    p = this.ws(p + 1);
    if (t.charCodeAt(p) === CLOSE_BRACKET) {
      p++;
    } else {
      for (;;) {
        p = this.point(p);
        if (p === FAIL) return undefined;
        p = this.ws(p);
        const c = t.charCodeAt(p);
        if (c === CLOSE_BRACKET) {
          p++;
          break;
        }
        if (c !== COMMA) return undefined;
        p = this.ws(p + 1);
      }
    }
    p = this.ws(p);
    if (t.charCodeAt(p) !== CLOSE_BRACE || this.ws(p + 1) !== this.end) return undefined;
    return { points: this.points, skipped: {}, keys: this.keys };
  }

  /** Reads the point object at p and adds it; returns the position after it, or FAIL. */
  point(p: number): number {
    const t = this.text;
    if (t.charCodeAt(p) !== OPEN_BRACE) return FAIL;
    p = this.ws(p + 1);
    let seen = 0;
    let metricStart = 0;
    let metricEnd = 0;
    let tagsStart = 0;
    let tagsEnd = 0;
    let ts = 0;
    let value = 0;
    let metricHash = 0;
    let tagsHash = 0;
    for (;;) {
      if (t.charCodeAt(p) !== QUOTE) return FAIL;
      // The four names, compared in place; `"ts"` and `"tags"` share their first letter.
      let field = 0;
      const c1 = t.charCodeAt(p + 1);
      if (c1 === 116) {
        const c2 = t.charCodeAt(p + 2);
        if (c2 === 115 && t.charCodeAt(p + 3) === QUOTE) {
          field = TS;
          p += 4;
        } else if (
          c2 === 97 &&
          t.charCodeAt(p + 3) === 103 &&
          t.charCodeAt(p + 4) === 115 &&
          t.charCodeAt(p + 5) === QUOTE
        ) {
          field = TAGS;
          p += 6;
        }
      } else if (c1 === 118) {
        if (
          t.charCodeAt(p + 2) === 97 &&
          t.charCodeAt(p + 3) === 108 &&
          t.charCodeAt(p + 4) === 117 &&
          t.charCodeAt(p + 5) === 101 &&
          t.charCodeAt(p + 6) === QUOTE
        ) {
          field = VALUE;
          p += 7;
        }
      } else if (c1 === 109) {
        if (
          t.charCodeAt(p + 2) === 101 &&
          t.charCodeAt(p + 3) === 116 &&
          t.charCodeAt(p + 4) === 114 &&
          t.charCodeAt(p + 5) === 105 &&
          t.charCodeAt(p + 6) === 99 &&
          t.charCodeAt(p + 7) === QUOTE
        ) {
          field = METRIC;
          p += 8;
        }
      }
      // An unknown field, or a repeated one (JSON.parse would keep the last).
      if (field === 0 || (seen & field) !== 0) return FAIL;
      seen |= field;
      p = this.ws(p);
      if (t.charCodeAt(p) !== COLON) return FAIL;
      p = this.ws(p + 1);
      if (field === METRIC) {
        if (t.charCodeAt(p) !== QUOTE) return FAIL;
        metricStart = p + 1;
        p = this.string(metricStart);
        if (p === FAIL) return FAIL;
        metricEnd = p - 1;
        metricHash = this.hash;
      } else if (field === TAGS) {
        tagsStart = p;
        p = this.tags(p);
        if (p === FAIL) return FAIL;
        tagsEnd = p;
        tagsHash = this.hash;
      } else {
        p = this.number(p);
        if (p === FAIL) return FAIL;
        if (field === TS) {
          ts = parseTimestamp(this.num);
          if (Number.isNaN(ts) || looksLikeSeconds(ts)) return FAIL;
        } else {
          value = this.num;
          if (!Number.isFinite(value)) return FAIL;
        }
      }
      p = this.ws(p);
      const c = t.charCodeAt(p);
      if (c === CLOSE_BRACE) break;
      if (c !== COMMA) return FAIL;
      p = this.ws(p + 1);
    }
    if ((seen & REQUIRED) !== REQUIRED || this.points.length >= this.limits.maxPoints) return FAIL;
    let h = Math.imul(metricHash ^ (tagsHash >>> 16), 0x2c1b3c6d) ^ tagsHash;
    h = (h ^ (h >>> 15)) | 0;
    const entry = this.entry(metricStart, metricEnd, tagsStart, tagsEnd, h);
    if (entry === undefined) return FAIL;
    const series = entry.canon ?? entry;
    if (series.request !== this.request) {
      if (series.validFor !== this.limits.series && !this.accept(series)) return FAIL;
      series.request = this.request;
      series.requestTags = entry.tags;
    } else if (ts <= series.maxTs) {
      // A duplicate, or a series out of ts order: the reference path sorts out which.
      return FAIL;
    }
    series.maxTs = ts;
    this.points.push({ metric: series.metric, tags: series.requestTags, ts, value });
    this.keys.push(series.key);
    return p + 1;
  }

  /** The entry for the series written as these two spans of text: from the memo, or decoded. */
  entry(
    metricStart: number,
    metricEnd: number,
    tagsStart: number,
    tagsEnd: number,
    h: number,
  ): SeriesEntry | undefined {
    const t = this.text;
    const metricLength = metricEnd - metricStart;
    const tagsLength = tagsEnd - tagsStart;
    let at = h & MEMO_MASK;
    for (;;) {
      const e = memo[at];
      if (e === undefined) break;
      if (
        e.hash === h &&
        e.metric.length === metricLength &&
        e.rawTags.length === tagsLength &&
        t.startsWith(e.metric, metricStart) &&
        t.startsWith(e.rawTags, tagsStart)
      ) {
        return e;
      }
      at = (at + 1) & MEMO_MASK;
    }
    return this.decode(metricStart, metricEnd, tagsStart, tagsEnd, h, at);
  }

  /**
   * A series new to the memo, which is memoised at `at` if it is short enough and the memo has
   * room. JSON.parse of its own short text yields what the reference path's JSON.parse of the
   * whole body yields for it (same tags object, property order, `__proto__` as a plain name, last
   * of repeated names wins), and fresh strings.
   */
  decode(
    metricStart: number,
    metricEnd: number,
    tagsStart: number,
    tagsEnd: number,
    hash: number,
    at: number,
  ): SeriesEntry | undefined {
    const t = this.text;
    let metric: string;
    let tags: Tags;
    try {
      metric = JSON.parse(t.slice(metricStart - 1, metricEnd + 1)) as string;
      tags =
        tagsEnd === tagsStart
          ? NO_TAGS
          : Object.freeze(JSON.parse(t.slice(tagsStart, tagsEnd)) as Record<string, string>);
    } catch {
      return undefined; // the scanner accepted something JSON does not: leave it to the reference path
    }
    // A repeated tag name: JSON.parse kept the last; the reference path refuses the body.
    if (tags !== NO_TAGS && Object.keys(tags).length !== pairsIn(t, tagsStart, tagsEnd)) return undefined;
    // No escape reaches these JSON.parse calls (string() refuses a backslash), so V8's misreading
    // of escaped keys (../../core/json-exact.ts) cannot apply here.
    if (metric === lastMetric) metric = lastMetric;
    else lastMetric = metric;
    const key = seriesKey(metric, tags);
    const long = key.length > MEMO_MAX_KEY;
    let owners = canonical;
    if (long) {
      if (this.longSeries === null) this.longSeries = new Map();
      owners = this.longSeries;
    }
    const memoise =
      !long && metricEnd - metricStart + tagsEnd - tagsStart <= MEMO_MAX_TEXT && memoSize < MEMO_MAX;
    const entry: SeriesEntry = {
      metric,
      // A copy: a slice would keep the whole request body alive for as long as it is memoised.
      rawTags:
        memoise && tagsEnd > tagsStart
          ? (JSON.parse(JSON.stringify(t.slice(tagsStart, tagsEnd))) as string)
          : '',
      tags,
      key,
      hash,
      count: Object.keys(tags).length,
      canon: owners.get(key) ?? null,
      validFor: null,
      request: 0,
      maxTs: 0,
      requestTags: tags,
    };
    if (entry.canon === null) owners.set(key, entry);
    if (memoise) {
      memo[at] = entry;
      memoSize++;
    }
    return entry;
  }

  /** True when the reference path would accept this series, new in the request. */
  accept(entry: SeriesEntry): boolean {
    const limits = this.limits;
    if (entry.count > limits.series.maxTagsPerSeries) return false;
    try {
      if (limits.knownSeries?.(entry.key) === true) return true;
      validateSeries(entry.metric, entry.tags, limits.series, {});
    } catch {
      return false;
    }
    entry.validFor = limits.series;
    return true;
  }

  /** Skips JSON whitespace from p. */
  ws(p: number): number {
    const t = this.text;
    // Most bodies hold no whitespace at all; one test settles that case.
    const end = this.end;
    if (p < end && t.charCodeAt(p) > SPACE) return p;
    while (p < end) {
      const c = t.charCodeAt(p);
      if (c !== SPACE && c !== LF && c !== CR && c !== TAB) break;
      p++;
    }
    return p;
  }

  /**
   * The end (after the closing quote) of the string whose content starts at p, or FAIL on an
   * escape or control character. Leaves the hash of its content in `hash`.
   */
  string(p: number): number {
    const t = this.text;
    const end = this.end;
    let h = 0x811c9dc5;
    while (p < end) {
      const c = t.charCodeAt(p++);
      if (c === QUOTE) {
        this.hash = h;
        return p;
      }
      if (c === BACKSLASH || c < SPACE) return FAIL;
      h = Math.imul(h ^ c, 0x01000193);
    }
    return FAIL;
  }

  /**
   * The end of the object of string values at p (`{`), or FAIL. Leaves in `hash` a hash of its
   * names and values (whitespace aside: a memo hit compares the text exactly anyway).
   */
  tags(p: number): number {
    const t = this.text;
    let h = 0;
    p = this.ws(p + 1);
    if (t.charCodeAt(p) !== CLOSE_BRACE) {
      for (;;) {
        if (t.charCodeAt(p) !== QUOTE) return FAIL;
        p = this.string(p + 1);
        if (p === FAIL) return FAIL;
        h = Math.imul(h ^ this.hash, 0x2c1b3c6d);
        p = this.ws(p);
        if (t.charCodeAt(p) !== COLON) return FAIL;
        p = this.ws(p + 1);
        if (t.charCodeAt(p) !== QUOTE) return FAIL;
        p = this.string(p + 1);
        if (p === FAIL) return FAIL;
        h = Math.imul(h ^ this.hash, 0x297a2d39);
        p = this.ws(p);
        const c = t.charCodeAt(p);
        if (c === CLOSE_BRACE) break;
        if (c !== COMMA) return FAIL;
        p = this.ws(p + 1);
      }
    }
    this.hash = h ^ (h >>> 16);
    return p + 1;
  }

  /**
   * Reads the JSON number at p into `num`, returning its end, or FAIL when p holds no JSON
   * number. The result is JSON.parse's to the bit: a mantissa of at most 2^53 scaled by an exact
   * power of ten up to 1e22 is one correctly rounded operation; anything else goes to Number().
   */
  number(p: number): number {
    const t = this.text;
    const start = p;
    let c = t.charCodeAt(p);
    const negative = c === MINUS;
    if (negative) c = t.charCodeAt(++p);
    let m = 0;
    if (c === ZERO) {
      c = t.charCodeAt(++p);
    } else if (c > ZERO && c <= NINE) {
      do {
        m = m * 10 + (c - ZERO);
        c = t.charCodeAt(++p);
      } while (c >= ZERO && c <= NINE);
    } else {
      return FAIL;
    }
    let scale = 0;
    if (c === DOT) {
      c = t.charCodeAt(++p);
      if (!(c >= ZERO && c <= NINE)) return FAIL;
      do {
        m = m * 10 + (c - ZERO);
        scale--;
        c = t.charCodeAt(++p);
      } while (c >= ZERO && c <= NINE);
    }
    if (c === LOWER_E || c === UPPER_E) {
      c = t.charCodeAt(++p);
      let sign = 1;
      if (c === MINUS || c === PLUS) {
        if (c === MINUS) sign = -1;
        c = t.charCodeAt(++p);
      }
      if (!(c >= ZERO && c <= NINE)) return FAIL;
      let e = 0;
      do {
        if (e < 100_000) e = e * 10 + (c - ZERO);
        c = t.charCodeAt(++p);
      } while (c >= ZERO && c <= NINE);
      scale += sign * e;
    }
    // While the digits so far are below 2^53 every step above was exact, so m is too.
    let v: number;
    if (m <= Number.MAX_SAFE_INTEGER && scale >= -22 && scale <= 22) {
      v = scale < 0 ? m / POW10[-scale]! : m * POW10[scale]!;
      if (negative) v = -v;
    } else {
      v = Number(t.slice(start, p));
    }
    this.num = v;
    return p;
  }
}

/** Name-value pairs in the object text t[start, end): colons outside strings. No escapes reach here. */
function pairsIn(t: string, start: number, end: number): number {
  let pairs = 0;
  let inString = false;
  for (let i = start + 1; i < end - 1; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x22) inString = !inString;
    else if (c === 0x3a && !inString) pairs++;
  }
  return pairs;
}
