/**
 * Scored points in InfluxDB: the PointSink that checkpoints write to and the PointStore that
 * queries read, scaled out.
 *
 * Schema, one InfluxDB point per scored point (docs/integrations.md, "Scores in InfluxDB", says the
 * same for people querying InfluxDB):
 * - measurement: the series' metric;
 * - tags: the series' tags, plus the reserved tag `vigil_sid` = the series id, which is what reads
 *   select on (metric and tags are there for people querying InfluxDB directly, e.g. from Grafana);
 * - fields, by `influx.layout`:
 *   - `compact` (the default): `value` and `score` (floats, left out when NaN) and `band`, a string
 *     always written: `"<flags>"`, or `"<flags> <expected> <lower> <upper>"` for a point with a
 *     band (a part that is NaN reads `NaN`); flags is a decimal bit mask: 1 anomalous, 2 value is
 *     NaN, 4 score is NaN. InfluxDB's write cost is per field, so three fields store about twice
 *     the points/s of seven (bench/influx-fields.ts, bench/README.md);
 *   - `fields` (the layout before 2026-12): `value`, `score` (floats), `anomalous` (boolean), and
 *     `expected`, `lower`, `upper` (floats) only for points with a band, plus `missing` (float,
 *     always written): a bit mask of the numeric fields that are NaN (1 value, 2 score, 4 expected,
 *     8 lower, 16 upper; 28 = no band);
 * - time: the point's ts in milliseconds.
 * Reads take either layout, point by point: a point with a `band` field reads by it, any other by
 * `missing`. So a database written in `fields` keeps reading the same after the switch, and a point
 * rewritten in `compact` (a replay) reads as rewritten.
 * Line protocol has no NaN or infinity: NaN fields are left out (and flagged), ±Infinity is stored
 * as ±Number.MAX_VALUE, as band edges are clamped everywhere else.
 * InfluxDB identifies a point by measurement, tag set and time, and a write of an existing point
 * replaces the fields it carries but keeps the others. Hence the flags that are always written: a
 * rewrite without a band (or with a NaN value) cannot remove the earlier fields, but its flags say
 * they are NaN, and reads (and anyone querying InfluxDB directly) MUST take such a field as NaN.
 * So rewriting a (series, ts) replaces the point as reads see it, and a replay changes nothing.
 * (One order this cannot cover: a point written in `compact` and then rewritten in `fields` keeps
 * its `band`, which reads win; replays rewrite the same point, so this reads the same unless the
 * two writes differed.)
 *
 * Names line protocol cannot carry exactly (see line-protocol.ts) do not stop a series from being
 * stored: a metric without an exact form goes to the measurement `vigil_series` instead, and a tag
 * without one is left out, as are tags named like a field, `time`, `_measurement`, `_field` (reserved
 * by one InfluxDB version or another) or `vigil_sid`. The series catalog stays the source of truth
 * for a series' metric and tags; `vigil_sid` alone identifies it here.
 *
 * InfluxDB keeps times up to 2262-04-11T23:47:16.854Z (int64 nanoseconds); a later point fails
 * the write with VIGIL_ERR_STORAGE.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Downsampled } from '../../core/downsample.ts';
import { VigilError } from '../../core/errors.ts';
import { finiteOrNaN } from '../../core/math/finite.ts';
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { PointSink, PointStore } from '../../ports/point-store.ts';
import type { SeriesInfo } from '../../ports/series-catalog.ts';
import type { InfluxClient, QuerySeries } from './client.ts';
import { quoteIdent, quoteString, timeLiteral } from './influxql.ts';
import { canEncodeMeasurement, canEncodeTag, formatFloat, seriesPrefix } from './line-protocol.ts';

/** The tag that carries the series id. Reserved: a series tag of that name is not stored. */
export const SERIES_ID_TAG = 'vigil_sid';
/** Where points of a metric go when line protocol cannot carry its name exactly. */
export const FALLBACK_MEASUREMENT = 'vigil_series';

/** The fields of the `fields` layout, in the order reads select them, then the compact layout's one more. */
const FIELDS = ['value', 'score', 'anomalous', 'expected', 'lower', 'upper', 'missing'] as const;
const BAND_FIELD = 'band';
const SELECTED = [...FIELDS, BAND_FIELD] as const;
const RESERVED_TAGS = new Set<string>(['time', '_measurement', '_field', SERIES_ID_TAG, ...SELECTED]);

/** `influx.layout`: which fields a scored point is written with (reads take both). */
export type InfluxLayout = 'compact' | 'fields';
/** Latest time InfluxDB can store, in ms. */
const MAX_INFLUX_MS = 9_223_372_036_854;
/** Lines a write gathers before it sends them, so a big checkpoint never sits in memory as text. */
const FLUSH_LINES = 20_000;
/**
 * Lines formatted between two yields of the event loop (~3.5 µs each): a detector's checkpoint
 * formats its points on the thread that scores, and must not hold up scoring or the anomaly
 * writes for the whole batch.
 */
const YIELD_LINES = 1_000;
/** Series ids per InfluxDB DELETE statement. */
const DELETE_SLICE = 500;
/** Series whose measurement and tag prefix stay cached; beyond it the oldest are dropped. */
const CACHE_SERIES = 100_000;

/** The slice of the series catalog this store reads: metric and tags by id. */
export interface SeriesLookup {
  get(id: number): Promise<SeriesInfo | undefined>;
}

interface Target {
  measurement: string;
  /** `measurement,tags` of its lines, escaped. */
  prefix: string;
}

export class InfluxPointStore implements PointSink, PointStore {
  readonly #client: InfluxClient;
  readonly #database: string;
  readonly #series: SeriesLookup;
  readonly #pageSize: number;
  readonly #layout: InfluxLayout;
  readonly #targets = new Map<number, Target>();

  /** `database`, `pageSize` (rows per range query) and `layout` (of writes) default to the client's. */
  constructor(options: {
    client: InfluxClient;
    database?: string;
    series: SeriesLookup;
    pageSize?: number;
    layout?: InfluxLayout;
  }) {
    this.#client = options.client;
    this.#database = options.database ?? options.client.database;
    this.#series = options.series;
    this.#pageSize = options.pageSize ?? options.client.pageSize;
    this.#layout = options.layout ?? options.client.layout;
  }

  async write(points: ReadonlyMap<number, PointColumns>): Promise<void> {
    let lines: string[] = [];
    let sinceYield = 0;
    const compact = this.#layout === 'compact';
    for (const [sid, cols] of points) {
      if (cols.length === 0) continue;
      const target = await this.#target(sid);
      if (target === undefined) {
        throw new VigilError('VIGIL_ERR_STORAGE', `influx: series ${sid} is not in the series catalog`);
      }
      for (let i = 0; i < cols.length; i++) {
        const ts = cols.ts[i]!;
        if (ts > MAX_INFLUX_MS) {
          throw new VigilError(
            'VIGIL_ERR_STORAGE',
            `influx: series ${sid} has a point at ts ${ts}, after the latest time InfluxDB can store ` +
              `(${new Date(MAX_INFLUX_MS).toISOString()})`,
          );
        }
        const value = finiteOrNaN(cols.value[i]!);
        const score = finiteOrNaN(cols.score[i]!);
        const expected = finiteOrNaN(cols.expected[i]!);
        const lower = finiteOrNaN(cols.lower[i]!);
        const upper = finiteOrNaN(cols.upper[i]!);
        const anomalous = (cols.flags[i]! & 1) !== 0;
        lines.push(
          compact
            ? compactLine(target.prefix, ts, value, score, anomalous, expected, lower, upper)
            : fieldsLine(target.prefix, ts, value, score, anomalous, expected, lower, upper),
        );
        if (++sinceYield === YIELD_LINES) {
          sinceYield = 0;
          await yieldTurn();
        }
      }
      if (lines.length >= FLUSH_LINES) {
        await this.#client.write(lines, 'ms', this.#database);
        lines = [];
      }
    }
    if (lines.length > 0) await this.#client.write(lines, 'ms', this.#database);
  }

  async range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    const out: ScoredPoint[] = [];
    const target = await this.#target(seriesId);
    if (target === undefined) return out;
    // Stored times are integer ms, so ts ≥ from ⇔ ts ≥ ⌈from⌉ and ts < to ⇔ ts < ⌈to⌉.
    let lo = Math.max(0, Math.ceil(from));
    const hi = Math.min(MAX_INFLUX_MS + 1, Math.ceil(to));
    const select =
      `SELECT ${SELECTED.map((f) => `${quoteIdent(f)}::field`).join(', ')} ` +
      `FROM ${quoteIdent(target.measurement)} WHERE ${quoteIdent(SERIES_ID_TAG)} = ${quoteString(String(seriesId))}`;
    // Pages by time, so a server `max-row-limit` below the page size costs requests, never points.
    while (lo < hi) {
      // `time <= hi - 1`, not `time < hi`: hi may be one past the latest time InfluxDB can write.
      const q = `${select} AND time >= ${timeLiteral(lo)} AND time <= ${timeLiteral(hi - 1)} ORDER BY time ASC LIMIT ${this.#pageSize}`;
      const [result] = await this.#client.query(q, { epoch: 'ms', database: this.#database });
      const page = pointsOf(result?.series);
      const rows = page.length;
      for (const p of page) out.push(p);
      if (rows === 0 || (rows < this.#pageSize && result?.partial !== true)) break;
      lo = out[out.length - 1]!.ts + 1;
    }
    return out;
  }

  /**
   * A chart's range computed inside InfluxDB (PointStore.downsampled), so `vigil api` never reads
   * every point of a long range: the count, every anomalous point, and per time bucket its highest
   * and its lowest point (TOP and BOTTOM keep a point's own time and fields), over buckets of
   * ⌈span / buckets⌉ ms from the range's first point. The rule of core/downsample.ts, with
   * InfluxDB's bucket edges and its pick among equal values. The whole range when it fits.
   */
  async downsampled(seriesId: number, from: number, to: number, maxPoints: number): Promise<Downsampled> {
    const target = await this.#target(seriesId);
    if (target === undefined) return { total: 0, points: [] };
    const lo = Math.max(0, Math.ceil(from));
    const hi = Math.min(MAX_INFLUX_MS + 1, Math.ceil(to));
    if (lo >= hi) return { total: 0, points: [] };
    const where =
      `FROM ${quoteIdent(target.measurement)} WHERE ${quoteIdent(SERIES_ID_TAG)} = ${quoteString(String(seriesId))} ` +
      `AND time >= ${timeLiteral(lo)} AND time <= ${timeLiteral(hi - 1)}`;
    const fields = SELECTED.map((f) => `${quoteIdent(f)}::field`).join(', ');
    const others = SELECTED.filter((f) => f !== 'value')
      .map((f) => `${quoteIdent(f)}::field`)
      .join(', ');
    // Every point has `band` (compact) or `missing` (fields); an odd flags number is anomalous.
    // Separate requests, so that InfluxDB scans for them at once, on as many cores as it has.
    const run = async (q: string) =>
      (await this.#client.query(q, { epoch: 'ms', database: this.#database }))[0];
    const [count, first, last, anomalous] = await Promise.all([
      run(`SELECT count(${quoteIdent(BAND_FIELD)}) AS a, count(${quoteIdent('missing')}) AS b ${where}`),
      run(`SELECT ${fields} ${where} ORDER BY time ASC LIMIT 1`),
      run(`SELECT ${fields} ${where} ORDER BY time DESC LIMIT 1`),
      run(
        `SELECT ${fields} ${where} AND (${quoteIdent('anomalous')} = true OR ${quoteIdent(BAND_FIELD)} =~ /^[0-9]*[13579]( |$)/)`,
      ),
    ]);
    const counts = count?.series?.[0]?.values[0] ?? [];
    const total = Number(counts[1] ?? 0) + Number(counts[2] ?? 0);
    if (total <= maxPoints) return { total, points: await this.range(seriesId, from, to) };
    const kept = new Map<number, ScoredPoint>();
    for (const p of pointsOf(anomalous?.series)) if (p.anomalous) kept.set(p.ts, p);
    const buckets = Math.floor((maxPoints - kept.size) / 2);
    const t0 = pointsOf(first?.series)[0]?.ts;
    const t1 = pointsOf(last?.series)[0]?.ts;
    if (buckets > 0 && t0 !== undefined && t1 !== undefined) {
      const width = Math.max(1, Math.ceil((t1 - t0 + 1) / buckets));
      const group = `GROUP BY time(${width}ms, ${t0 % width}ms)`;
      const extremes = await Promise.all(
        ['top', 'bottom'].map((f) =>
          run(
            `SELECT ${f}(${quoteIdent('value')}, 1) AS ${quoteIdent('value')}, ${others} ${where} ${group}`,
          ),
        ),
      );
      for (const r of extremes) for (const p of pointsOf(r?.series)) if (!kept.has(p.ts)) kept.set(p.ts, p);
    }
    return { total, points: [...kept.values()].sort((a, b) => a.ts - b.ts) };
  }

  /**
   * Deletes every point of these series (whatever their measurement: the id alone selects) and
   * returns how many there were. Idempotent. The ids are cut into slices of DELETE_SLICE.
   */
  async deleteSeries(seriesIds: readonly number[]): Promise<number> {
    let points = 0;
    for (let i = 0; i < seriesIds.length; i += DELETE_SLICE) {
      const slice = seriesIds.slice(i, i + DELETE_SLICE);
      const where = `${quoteIdent(SERIES_ID_TAG)} =~ /^(${slice.map((id) => String(Math.trunc(id))).join('|')})$/`;
      points += await this.#deleteWhere(where);
      for (const id of slice) this.#targets.delete(id);
    }
    return points;
  }

  /**
   * Deletes the points before `cutoffMs` of one tenant's series (tag `tagName` = `tenant`; `''`
   * selects the series without the tag, i.e. the default tenant's) and returns how many there were.
   */
  async deleteBefore(tagName: string, tenant: string, cutoffMs: number): Promise<number> {
    if (cutoffMs <= 0) return 0;
    const hi = Math.min(MAX_INFLUX_MS + 1, Math.ceil(cutoffMs));
    return this.#deleteWhere(`${quoteIdent(tagName)} = ${quoteString(tenant)} AND time < ${timeLiteral(hi)}`);
  }

  /** Counts the points `where` selects (the answer and the metrics say how many), then deletes them. */
  async #deleteWhere(where: string): Promise<number> {
    // Each layout writes one field with every point (`missing`, `band`); a point rewritten in both
    // layouts counts twice.
    const [counted] = await this.#client.query(
      `SELECT count(${quoteIdent('missing')}), count(${quoteIdent(BAND_FIELD)}) FROM /.*/ WHERE ${where}`,
      { database: this.#database },
    );
    let n = 0;
    for (const s of counted?.series ?? []) for (const row of s.values) n += num0(row[1]) + num0(row[2]);
    if (n > 0) await this.#client.command(`DELETE WHERE ${where}`, this.#database);
    return n;
  }

  /** Measurement and line prefix of a series; undefined when the catalog does not know it. */
  async #target(sid: number): Promise<Target | undefined> {
    const cached = this.#targets.get(sid);
    if (cached !== undefined) return cached;
    const info = await this.#series.get(sid);
    if (info === undefined) return undefined;
    const measurement = canEncodeMeasurement(info.metric) ? info.metric : FALLBACK_MEASUREMENT;
    const tags: [string, string][] = [[SERIES_ID_TAG, String(sid)]];
    for (const [k, v] of Object.entries(info.tags)) {
      if (!RESERVED_TAGS.has(k) && canEncodeTag(k) && canEncodeTag(v)) tags.push([k, v]);
    }
    tags.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const target = { measurement, prefix: seriesPrefix(measurement, tags) };
    if (this.#targets.size >= CACHE_SERIES) this.#targets.delete(this.#targets.keys().next().value!);
    this.#targets.set(sid, target);
    return target;
  }
}

/**
 * One scored point's line in `layout` (what `write` sends; exported for bench/influx-fields.ts).
 * Values MUST already be finite or NaN.
 */
export function formatLine(
  layout: InfluxLayout,
  prefix: string,
  ts: number,
  p: Omit<ScoredPoint, 'ts'>,
): string {
  return (layout === 'compact' ? compactLine : fieldsLine)(
    prefix,
    ts,
    p.value,
    p.score,
    p.anomalous,
    p.expected,
    p.lower,
    p.upper,
  );
}

/** A line of the `compact` layout (see the header). */
function compactLine(
  prefix: string,
  ts: number,
  value: number,
  score: number,
  anomalous: boolean,
  expected: number,
  lower: number,
  upper: number,
): string {
  const flags = (anomalous ? 1 : 0) | (Number.isNaN(value) ? 2 : 0) | (Number.isNaN(score) ? 4 : 0);
  const band =
    Number.isNaN(expected) && Number.isNaN(lower) && Number.isNaN(upper)
      ? `${flags}`
      : `${flags} ${bandPart(expected)} ${bandPart(lower)} ${bandPart(upper)}`;
  const head = `${field('value', value)}${field('score', score)}`;
  return `${prefix} ${head === '' ? '' : `${head.slice(1)},`}${BAND_FIELD}="${band}" ${ts}`;
}

/** A line of the `fields` layout (see the header). */
function fieldsLine(
  prefix: string,
  ts: number,
  value: number,
  score: number,
  anomalous: boolean,
  expected: number,
  lower: number,
  upper: number,
): string {
  const missing =
    (Number.isNaN(value) ? 1 : 0) |
    (Number.isNaN(score) ? 2 : 0) |
    (Number.isNaN(expected) ? 4 : 0) |
    (Number.isNaN(lower) ? 8 : 0) |
    (Number.isNaN(upper) ? 16 : 0);
  return (
    `${prefix} anomalous=${anomalous},missing=${missing}` +
    `${field('value', value)}${field('score', score)}${field('expected', expected)}` +
    `${field('lower', lower)}${field('upper', upper)} ${ts}`
  );
}

/** The points of query rows that select SELECTED's columns (either layout, point by point). */
function pointsOf(series: readonly QuerySeries[] | undefined): ScoredPoint[] {
  const out: ScoredPoint[] = [];
  for (const s of series ?? []) {
    const at = SELECTED.map((f) => s.columns.indexOf(f));
    const t = s.columns.indexOf('time');
    for (const row of s.values) {
      const band = at[7]! >= 0 ? row[at[7]!] : undefined;
      out.push(
        typeof band === 'string'
          ? fromCompact(row[t] as number, row[at[0]!], row[at[1]!], band)
          : fromFields(row[t] as number, at, row),
      );
    }
  }
  return out;
}

/** A point read in the `compact` layout: `band` is its string field. */
function fromCompact(ts: number, value: unknown, score: unknown, band: string): ScoredPoint {
  const parts = band.split(' ');
  const flags = Number(parts[0]);
  return {
    ts,
    value: flags & 2 ? Number.NaN : num(value),
    score: flags & 4 ? Number.NaN : num(score),
    anomalous: (flags & 1) !== 0,
    expected: parts.length === 4 ? Number(parts[1]) : Number.NaN,
    lower: parts.length === 4 ? Number(parts[2]) : Number.NaN,
    upper: parts.length === 4 ? Number(parts[3]) : Number.NaN,
  };
}

/** A point read in the `fields` layout; `at` = the columns of FIELDS in the row. */
function fromFields(ts: number, at: readonly number[], row: readonly unknown[]): ScoredPoint {
  const col = (k: number): unknown => (at[k]! >= 0 ? row[at[k]!] : undefined);
  const missing = num(col(6));
  return {
    ts,
    value: missing & 1 ? Number.NaN : num(col(0)),
    score: missing & 2 ? Number.NaN : num(col(1)),
    anomalous: col(2) === true,
    expected: missing & 4 ? Number.NaN : num(col(3)),
    lower: missing & 8 ? Number.NaN : num(col(4)),
    upper: missing & 16 ? Number.NaN : num(col(5)),
  };
}

/** A band edge inside the `band` string: its float form, or `NaN`. */
function bandPart(x: number): string {
  return Number.isNaN(x) ? 'NaN' : formatFloat(x);
}

/** `,name=x`, or nothing for NaN. */
function field(name: string, x: number): string {
  return Number.isNaN(x) ? '' : `,${name}=${formatFloat(x)}`;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}

function num0(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}
