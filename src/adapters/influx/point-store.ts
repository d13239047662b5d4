/**
 * Scored points in InfluxDB: the PointSink that checkpoints write to and the PointStore that
 * queries read, scaled out.
 *
 * Schema, one InfluxDB point per scored point:
 * - measurement: the series' metric;
 * - tags: the series' tags, plus the reserved tag `vigil_sid` = the series id, which is what reads
 *   select on (metric and tags are there for people querying InfluxDB directly, e.g. from Grafana);
 * - fields: `value`, `score` (floats), `anomalous` (boolean), and `expected`, `lower`, `upper`
 *   (floats) only for points with a band, plus `missing` (float, always written): a bit mask of
 *   the numeric fields that are NaN (1 value, 2 score, 4 expected, 8 lower, 16 upper; 28 = no band);
 * - time: the point's ts in milliseconds.
 * Line protocol has no NaN or infinity: NaN fields are left out (and flagged in `missing`), ±Infinity
 * is stored as ±Number.MAX_VALUE, as band edges are clamped everywhere else.
 * InfluxDB identifies a point by measurement, tag set and time, and a write of an existing point
 * replaces the fields it carries but keeps the others. Hence `missing`: a rewrite without a band
 * cannot remove the earlier band's fields, but it sets their bits, and reads (and anyone querying
 * InfluxDB directly) MUST take a field whose bit is set as NaN. So rewriting a (series, ts) replaces
 * the point as reads see it, and a replay changes nothing.
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
import { VigilError } from '../../core/errors.ts';
import { finiteOrNaN } from '../../core/math/finite.ts';
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { PointSink, PointStore } from '../../ports/point-store.ts';
import type { SeriesInfo } from '../../ports/series-catalog.ts';
import type { InfluxClient } from './client.ts';
import { quoteIdent, quoteString, timeLiteral } from './influxql.ts';
import { canEncodeMeasurement, canEncodeTag, formatFloat, seriesPrefix } from './line-protocol.ts';

/** The tag that carries the series id. Reserved: a series tag of that name is not stored. */
export const SERIES_ID_TAG = 'vigil_sid';
/** Where points of a metric go when line protocol cannot carry its name exactly. */
export const FALLBACK_MEASUREMENT = 'vigil_series';

const FIELDS = ['value', 'score', 'anomalous', 'expected', 'lower', 'upper', 'missing'] as const;
const RESERVED_TAGS = new Set<string>(['time', '_measurement', '_field', SERIES_ID_TAG, ...FIELDS]);
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
  readonly #targets = new Map<number, Target>();

  /** `database` and `pageSize` (rows per range query) default to the client's. */
  constructor(options: { client: InfluxClient; database?: string; series: SeriesLookup; pageSize?: number }) {
    this.#client = options.client;
    this.#database = options.database ?? options.client.database;
    this.#series = options.series;
    this.#pageSize = options.pageSize ?? options.client.pageSize;
  }

  async write(points: ReadonlyMap<number, PointColumns>): Promise<void> {
    let lines: string[] = [];
    let sinceYield = 0;
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
        const missing =
          (Number.isNaN(value) ? 1 : 0) |
          (Number.isNaN(score) ? 2 : 0) |
          (Number.isNaN(expected) ? 4 : 0) |
          (Number.isNaN(lower) ? 8 : 0) |
          (Number.isNaN(upper) ? 16 : 0);
        lines.push(
          `${target.prefix} anomalous=${(cols.flags[i]! & 1) !== 0},missing=${missing}` +
            `${field('value', value)}${field('score', score)}${field('expected', expected)}` +
            `${field('lower', lower)}${field('upper', upper)} ${ts}`,
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
      `SELECT ${FIELDS.map((f) => `${quoteIdent(f)}::field`).join(', ')} ` +
      `FROM ${quoteIdent(target.measurement)} WHERE ${quoteIdent(SERIES_ID_TAG)} = ${quoteString(String(seriesId))}`;
    // Pages by time, so a server `max-row-limit` below the page size costs requests, never points.
    while (lo < hi) {
      // `time <= hi - 1`, not `time < hi`: hi may be one past the latest time InfluxDB can write.
      const q = `${select} AND time >= ${timeLiteral(lo)} AND time <= ${timeLiteral(hi - 1)} ORDER BY time ASC LIMIT ${this.#pageSize}`;
      const [result] = await this.#client.query(q, { epoch: 'ms', database: this.#database });
      let rows = 0;
      for (const s of result?.series ?? []) {
        const at = FIELDS.map((f) => s.columns.indexOf(f));
        const t = s.columns.indexOf('time');
        for (const row of s.values) {
          const missing = num(row[at[6]!]);
          out.push({
            ts: row[t] as number,
            value: missing & 1 ? Number.NaN : num(row[at[0]!]),
            score: missing & 2 ? Number.NaN : num(row[at[1]!]),
            anomalous: row[at[2]!] === true,
            expected: missing & 4 ? Number.NaN : num(row[at[3]!]),
            lower: missing & 8 ? Number.NaN : num(row[at[4]!]),
            upper: missing & 16 ? Number.NaN : num(row[at[5]!]),
          });
          rows++;
        }
      }
      if (rows === 0 || (rows < this.#pageSize && result?.partial !== true)) break;
      lo = out[out.length - 1]!.ts + 1;
    }
    return out;
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
    const [counted] = await this.#client.query(
      `SELECT count(${quoteIdent('missing')}) FROM /.*/ WHERE ${where}`,
      {
        database: this.#database,
      },
    );
    let n = 0;
    for (const s of counted?.series ?? []) for (const row of s.values) n += num(row[1]);
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

/** `,name=x`, or nothing for NaN. */
function field(name: string, x: number): string {
  return Number.isNaN(x) ? '' : `,${name}=${formatFloat(x)}`;
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : Number.NaN;
}
