/**
 * InfluxDB line protocol encoding for what Vigil writes: one point per line,
 * `measurement[,tag=value…] field=value[,…] timestamp`.
 *
 * Escaping (the rules InfluxDB 1.x, 2.x and 3.x share): in a measurement `,` and space take a
 * backslash; in tag keys and tag values also `=`; string field values are double-quoted with `"`
 * and `\` escaped. Floats are written in JavaScript's shortest round-trip form (`0.30000000000000004`,
 * `1e-300`, `-0`), which every InfluxDB parses back to the same float64; there is no `i` suffix, so
 * an integral value still lands in a float field.
 *
 * What line protocol cannot carry exactly, these functions refuse (`canEncode*` says so up front,
 * the encoders throw RangeError): empty names and tag values, line breaks, a measurement starting
 * with `#` (the line would read as a comment), and a backslash that ends a name or stands before
 * a backslash or a character that name escapes: the versions disagree on what `\\` means there
 * (1.x keeps both backslashes, 2.x keeps one) and 1.x cannot end a tag value with `\` at all.
 * A backslash anywhere else (`C:\temp`) is an ordinary character to all of them.
 */

export type FieldValue = number | boolean | string;

const BREAK = /[\n\r]/;

function canEncodeName(s: string, escaped: string): boolean {
  if (s.length === 0 || BREAK.test(s)) return false;
  for (let i = s.indexOf('\\'); i >= 0; i = s.indexOf('\\', i + 1)) {
    const next = s[i + 1];
    if (next === undefined || next === '\\' || escaped.includes(next)) return false;
  }
  return true;
}

/** True when `s` can be written as a measurement and reads back as exactly `s`. */
export function canEncodeMeasurement(s: string): boolean {
  return s[0] !== '#' && canEncodeName(s, ', ');
}

/** True when `s` can be written as a tag key, tag value or field key and reads back as exactly `s`. */
export function canEncodeTag(s: string): boolean {
  return canEncodeName(s, ',= ');
}

const MEASUREMENT_SPECIAL = /[, ]/g;
const TAG_SPECIAL = /[,= ]/g;

export function escapeMeasurement(s: string): string {
  if (!canEncodeMeasurement(s)) throw unencodable('measurement', s);
  return s.replace(MEASUREMENT_SPECIAL, '\\$&');
}

/** Escapes a tag key, tag value or field key. */
export function escapeTag(s: string): string {
  if (!canEncodeTag(s)) throw unencodable('tag', s);
  return s.replace(TAG_SPECIAL, '\\$&');
}

function unencodable(what: string, s: string): RangeError {
  return new RangeError(`${what} ${JSON.stringify(s)} has no exact line protocol form`);
}

/** A float field value in its shortest round-trip form; NaN and ±Infinity have none. */
export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`${x} cannot be written in line protocol`);
  return Object.is(x, -0) ? '-0' : String(x);
}

function formatField(v: FieldValue): string {
  if (typeof v === 'number') return formatFloat(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return `"${v.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The `measurement,tags` prefix of a line. Tags are written in the order given (InfluxDB indexes
 * faster when they come sorted by key); callers leave out tags with empty values, which line
 * protocol cannot carry.
 */
export function seriesPrefix(measurement: string, tags: Iterable<readonly [string, string]>): string {
  let out = escapeMeasurement(measurement);
  for (const [k, v] of tags) out += `,${escapeTag(k)}=${escapeTag(v)}`;
  return out;
}

/**
 * One line: `prefix` from seriesPrefix, at least one field, `ts` an integer in the unit of the
 * write's precision. Fields whose value is undefined are left out.
 */
export function encodeLine(
  prefix: string,
  fields: Iterable<readonly [string, FieldValue | undefined]>,
  ts: number,
): string {
  let out = '';
  for (const [k, v] of fields) {
    if (v === undefined) continue;
    out += `${out === '' ? ' ' : ','}${escapeTag(k)}=${formatField(v)}`;
  }
  if (out === '') throw new RangeError('a line needs at least one field');
  if (!Number.isSafeInteger(ts)) throw new RangeError(`timestamp ${ts} is not an integer`);
  return `${prefix}${out} ${ts}`;
}
