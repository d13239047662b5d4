/**
 * TrainingHistory over Vigil's HTTP API (docs/http-api.md): `GET /api/v1/series?match=`,
 * `GET /api/v1/points` (paged by time: a range the server would downsample, or refuses as over
 * `limits.queryMaxPoints` / `queryMaxRangeMs`, is split in two until each part comes back whole),
 * `GET /api/v1/feedback?match=` and, for the labelled series, `GET /api/v1/anomalies?series=` (a
 * label names its anomaly's start; the anomaly gives its end).
 */
import { parseAnomalyId } from '../../core/anomaly.ts';
import { isVigilError, VigilError } from '../../core/errors.ts';
import type { FeedbackLabel } from '../../core/feedback/label.ts';
import type { TrainingLabel } from '../../core/models/backtest.ts';
import type { HistoryPoints, TrainingHistory } from '../../ports/training-history.ts';
import type { VigilApiClient } from './client.ts';

/** Points asked for per request: the API's own maximum; larger ranges are split. */
const MAX_POINTS = 1_000_000;
/** Labels read per training (the API's list maximum); more are cut to the newest. */
export const MAX_LABELS = 10_000;

interface PointsAnswer {
  total: number;
  points: { ts: number; value: number }[];
}

export class HttpTrainingHistory implements TrainingHistory {
  readonly #client: VigilApiClient;
  /** Labels cut off by MAX_LABELS at the last `labels` call (0: none). */
  truncatedLabels = false;

  constructor(client: VigilApiClient) {
    this.#client = client;
  }

  get description(): string {
    return `vigil ${this.#client.base}`;
  }

  async series(selector: string, limit: number): Promise<string[]> {
    const r = await this.#client.get<{ series: { key: string }[]; truncated: boolean }>('/api/v1/series', {
      match: selector,
      limit,
    });
    if (r.truncated) {
      throw new VigilError(
        'VIGIL_ERR_QUERY_LIMIT',
        `selector ${selector} matches more than ${limit} series; narrow it or raise --max-series`,
        { location: { field: 'selector' } },
      );
    }
    return r.series.map((s) => s.key);
  }

  async points(key: string, from: number, to: number): Promise<HistoryPoints> {
    const parts: { ts: number; value: number }[][] = [];
    await this.#range(key, from, to, parts);
    const n = parts.reduce((k, p) => k + p.length, 0);
    const ts = new Float64Array(n);
    const values = new Float64Array(n);
    let i = 0;
    for (const part of parts) {
      for (const p of part) {
        ts[i] = p.ts;
        values[i] = p.value;
        i++;
      }
    }
    return { ts, values };
  }

  /** Appends [from, to)'s points to `out` in time order, halving the range while it cannot come back whole. */
  async #range(key: string, from: number, to: number, out: { ts: number; value: number }[][]): Promise<void> {
    let r: PointsAnswer | undefined;
    try {
      r = await this.#client.get<PointsAnswer>('/api/v1/points', {
        series: key,
        from,
        to,
        maxPoints: MAX_POINTS,
      });
    } catch (err) {
      if (!(isVigilError(err) && err.code === 'VIGIL_ERR_QUERY_LIMIT')) throw err;
    }
    if (r !== undefined && r.points.length === r.total) {
      out.push(r.points);
      return;
    }
    if (to - from < 2) {
      throw new VigilError(
        'VIGIL_ERR_QUERY_LIMIT',
        `${key}: the points at ${from} cannot be read whole within the server's query limits`,
      );
    }
    const mid = from + Math.floor((to - from) / 2);
    await this.#range(key, from, mid, out);
    await this.#range(key, mid, to, out);
  }

  async labels(selector: string): Promise<Map<string, TrainingLabel[]>> {
    const r = await this.#client.get<{
      feedback: { anomaly: string; series: string; label: FeedbackLabel }[];
    }>('/api/v1/feedback', { match: selector, limit: MAX_LABELS });
    this.truncatedLabels = r.feedback.length >= MAX_LABELS;
    const bySeries = new Map<string, { label: FeedbackLabel; start: number }[]>();
    for (const f of r.feedback) {
      const id = parseAnomalyId(f.anomaly);
      if (id === undefined) continue;
      const list = bySeries.get(f.series) ?? [];
      list.push({ label: f.label, start: id.start });
      bySeries.set(f.series, list);
    }
    const out = new Map<string, TrainingLabel[]>();
    for (const [series, list] of bySeries) {
      const a = await this.#client.get<{ anomalies: { start: number; end: number }[] }>('/api/v1/anomalies', {
        series,
        limit: 10_000,
      });
      const ends = new Map(a.anomalies.map((x) => [x.start, x.end]));
      out.set(
        series,
        list
          .map((l) => ({
            label: l.label,
            start: l.start,
            end: Math.max(l.start, ends.get(l.start) ?? l.start),
          }))
          .sort((x, y) => x.start - y.start),
      );
    }
    return out;
  }
}
