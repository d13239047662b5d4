/**
 * JSON and NDJSON ingest. JSON: `{"points":[{"metric","tags"?,"ts","value"}, …]}`; NDJSON: one
 * point object per line. `ts` is epoch ms or an RFC 3339 string. Unknown fields are rejected by
 * name so that a typo (`"valeu"`) fails loudly instead of silently writing nothing.
 */
import { type ErrorCode, type ErrorLocation, VigilError } from '../../core/errors.ts';
import { parseJsonExact } from '../../core/json-exact.ts';
import { seriesKey, type Tags, validateSeries } from '../../core/series.ts';
import { looksLikeSeconds, parseTimestamp } from '../../core/time.ts';
import type { IngestLimits } from '../../ports/ingest-format.ts';
import { BatchBuilder, batchTooLarge, excerpt, type IngestBatch } from './batch.ts';
import { jsonErrorOffset, lineAndColumn } from './json-error.ts';
import { NO_TAGS, parseJsonPointsFast } from './json-fast.ts';
import { checkJsonShape } from './json-shape.ts';

/** Parses a JSON body `{"points":[…]}`. Errors locate the point by its array index. */
export function parseJsonPoints(text: string, limits: IngestLimits): IngestBatch {
  return parseJsonPointsFast(text, limits) ?? parseJsonPointsReference(text, limits);
}

/**
 * The reference parser: JSON.parse, then every point checked. It alone reports errors; the fast
 * path must return exactly its result or nothing. Exported for the differential tests and the
 * benchmark only.
 */
export function parseJsonPointsReference(text: string, limits: IngestLimits): IngestBatch {
  const body = parseJson(text, 0, limits.maxPoints);
  if (!isPlainObject(body)) {
    throw new VigilError('VIGIL_ERR_BAD_JSON', 'body must be a JSON object {"points": [...]}', {
      location: {},
    });
  }
  let points: unknown;
  for (const key in body) {
    if (key !== 'points') {
      throw new VigilError('VIGIL_ERR_BAD_JSON', `unknown top-level field \`${excerpt(key)}\``, {
        location: { field: key },
      });
    }
    points = body[key];
  }
  if (!Array.isArray(points)) {
    throw new VigilError(
      'VIGIL_ERR_BAD_JSON',
      points === undefined ? 'missing field `points`' : 'field `points` must be an array',
      { location: { field: 'points' } },
    );
  }
  if (points.length > limits.maxPoints) {
    throw batchTooLarge(limits.maxPoints, `points[${limits.maxPoints}]`, { index: limits.maxPoints });
  }
  const batch = new BatchBuilder(limits.maxPoints);
  for (let i = 0; i < points.length; i++) addPoint(batch, points[i], null, i, limits);
  return batch.result();
}

/** Parses NDJSON: one point object per line; blank lines are ignored. Errors name the 1-based line. */
export function parseNdjsonPoints(text: string, limits: IngestLimits): IngestBatch {
  const batch = new BatchBuilder(limits.maxPoints);
  const lines: number[] = []; // line of each point, to name the first of a duplicate pair
  let line = 0;
  let start = 0;
  const n = text.length;
  while (start < n) {
    line++;
    let end = text.indexOf('\n', start);
    if (end < 0) end = n;
    const next = end + 1;
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    if (!isBlank(text, start, end)) {
      if (batch.full) throw batchTooLarge(limits.maxPoints, `line ${line}`, { line });
      addPoint(batch, parseJson(text.slice(start, end), line, limits.maxPoints), lines, line, limits);
    }
    start = next;
  }
  return batch.result();
}

function isBlank(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * JSON.parse (exact for escaped keys, see ../../core/json-exact.ts) with its SyntaxError turned into
 * VIGIL_ERR_BAD_JSON; `line` 0 means a whole body.
 */
function parseJson(text: string, line: number, maxPoints: number): unknown {
  // A body is {"points":[{…,"tags":{…}}]}: four levels; an NDJSON line is a point, two.
  checkJsonShape(text, line > 0 ? 2 : 4, maxPoints, line);
  try {
    return parseJsonExact(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const location: ErrorLocation = {};
    let at = '';
    const offset = jsonErrorOffset(text);
    if (line > 0) {
      location.line = line;
      at = offset < 0 ? `line ${line}: ` : `line ${line}, column ${offset + 1}: `;
    } else if (offset >= 0) {
      const where = lineAndColumn(text, offset);
      location.line = where.line;
      at = `line ${where.line}, column ${where.column}: `;
    }
    throw new VigilError('VIGIL_ERR_BAD_JSON', `${at}invalid JSON: ${reason}`, { location, cause: err });
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function pointError(
  code: ErrorCode,
  byLine: boolean,
  pos: number,
  field: string | undefined,
  message: string,
): VigilError {
  const location: ErrorLocation = byLine ? { line: pos } : { index: pos };
  if (field !== undefined) location.field = field;
  return new VigilError(code, `${byLine ? `line ${pos}` : `points[${pos}]`}: ${message}`, { location });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${excerpt(JSON.stringify(v))}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${excerpt(String(v))}`;
}

/** Validates one decoded point and adds it; `lines` is null for a JSON array (pos is the index). */
function addPoint(
  batch: BatchBuilder,
  raw: unknown,
  lines: number[] | null,
  pos: number,
  limits: IngestLimits,
): void {
  const byLine = lines !== null;
  if (!isPlainObject(raw)) {
    throw pointError(
      'VIGIL_ERR_BAD_POINT',
      byLine,
      pos,
      undefined,
      `point must be an object, got ${describe(raw)}`,
    );
  }
  let metric: unknown;
  let tags: unknown;
  let ts: unknown;
  let value: unknown;
  for (const key in raw) {
    switch (key) {
      case 'metric':
        metric = raw[key];
        break;
      case 'tags':
        tags = raw[key];
        break;
      case 'ts':
        ts = raw[key];
        break;
      case 'value':
        value = raw[key];
        break;
      default:
        throw pointError('VIGIL_ERR_BAD_POINT', byLine, pos, key, `unknown field \`${excerpt(key)}\``);
    }
  }
  if (typeof metric !== 'string') {
    const why =
      metric === undefined ? 'missing field `metric`' : `metric must be a string, got ${describe(metric)}`;
    throw pointError('VIGIL_ERR_BAD_POINT', byLine, pos, 'metric', why);
  }
  if (tags === undefined) {
    tags = NO_TAGS;
  } else if (!isPlainObject(tags)) {
    throw pointError(
      'VIGIL_ERR_BAD_POINT',
      byLine,
      pos,
      'tags',
      `tags must be an object, got ${describe(tags)}`,
    );
  }
  if (ts === undefined) throw pointError('VIGIL_ERR_BAD_POINT', byLine, pos, 'ts', 'missing field `ts`');
  const ms = parseTimestamp(ts);
  if (Number.isNaN(ms)) {
    throw pointError(
      'VIGIL_ERR_BAD_POINT',
      byLine,
      pos,
      'ts',
      `ts must be epoch milliseconds or an RFC 3339 string within years 1970..2999, got ${describe(ts)}`,
    );
  }
  if (typeof ts === 'number' && looksLikeSeconds(ms)) {
    throw pointError(
      'VIGIL_ERR_BAD_POINT',
      byLine,
      pos,
      'ts',
      `ts ${ts} looks like epoch seconds (it would be ${new Date(ms).toISOString().slice(0, 10)}); ts is epoch milliseconds: multiply by 1000, or send an RFC 3339 string`,
    );
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    const why =
      value === undefined ? 'missing field `value`' : `value must be a finite number, got ${describe(value)}`;
    throw pointError('VIGIL_ERR_BAD_POINT', byLine, pos, 'value', why);
  }
  const tagSet = tags as Record<string, unknown>;
  // seriesKey needs string values and sorts every name: check both cheaply before building it.
  let count = 0;
  for (const name in tagSet) {
    if (typeof tagSet[name] !== 'string' || ++count > limits.series.maxTagsPerSeries) {
      validateSeries(metric, tagSet as Tags, limits.series, byLine ? { line: pos } : { index: pos });
      // validateSeries throws for both; this only guards against the two drifting apart.
      throw pointError('VIGIL_ERR_BAD_POINT', byLine, pos, `tags.${name}`, 'invalid tag');
    }
  }
  const key = seriesKey(metric, tagSet as Tags);
  let slot = batch.series(key);
  if (slot === undefined) {
    if (limits.knownSeries?.(key) !== true) {
      validateSeries(metric, tagSet as Tags, limits.series, byLine ? { line: pos } : { index: pos });
    }
    slot = batch.addSeries(key, metric, tagSet as Tags);
  }
  const prev = batch.push(slot, ms, value);
  if (prev >= 0) {
    const first = byLine ? `line ${lines[prev]}` : `points[${prev}]`;
    throw pointError(
      'VIGIL_ERR_DUPLICATE_POINT',
      byLine,
      pos,
      'ts',
      `duplicate point: series ${excerpt(key, 200)} at ts ${ms} already appears at ${first}`,
    );
  }
  if (byLine) lines.push(pos);
}
