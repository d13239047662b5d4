/**
 * Scored points in memory: the PointSink/PointStore of tests and of deployments that keep points
 * elsewhere. Writes upsert on (series, ts), as the InfluxDB adapter does, so replays are idempotent.
 */
import type { ScoredPoint } from '../../core/point.ts';
import type { PointColumns } from '../../core/point-columns.ts';
import type { PointSink, PointStore } from '../../ports/point-store.ts';

export class MemoryPointStore implements PointSink, PointStore {
  readonly #series = new Map<number, Map<number, ScoredPoint>>();

  async write(points: ReadonlyMap<number, PointColumns>): Promise<void> {
    for (const [sid, cols] of points) {
      let byTs = this.#series.get(sid);
      if (byTs === undefined) {
        byTs = new Map();
        this.#series.set(sid, byTs);
      }
      for (let i = 0; i < cols.length; i++) {
        const p = cols.at(i);
        byTs.set(p.ts, p);
      }
    }
  }

  async range(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    const out: ScoredPoint[] = [];
    for (const p of this.#series.get(seriesId)?.values() ?? []) if (p.ts >= from && p.ts < to) out.push(p);
    return out.sort((a, b) => a.ts - b.ts);
  }
}
