/**
 * The write-behind buffer of one partition task's scored points: each series' points since they
 * were last taken for a write (its tail), and those of the write in flight, both still served to
 * queries (`collect`) until the write is durable. A failed write puts its points back ahead of the
 * newer ones, so the next write has them in order.
 *
 * `push` is the per-point path: it allocates nothing once a series' tail has grown to its usual
 * length, and the tails a write is done with become the next tails of their series.
 */
import type { ScoredPoint } from '../core/point.ts';
import { PointColumns } from '../core/point-columns.ts';

export class PointBuffer {
  /** Points since the last take, per series id. */
  #tails = new Map<number, PointColumns>();
  /** Points of the write in flight. */
  #inflight = new Map<number, PointColumns>();
  /**
   * Each series' tail length at the last checkpoint, by series id: the next tail starts at that
   * capacity instead of doubling up from 8 (seven typed arrays per growth, per series).
   */
  #tailSizes: number[] = [];
  /**
   * A written tail per busy series (by id), emptied, to be its next tail: without it every flush
   * left 10,000 tails (seven typed-array views each) to die after surviving a scavenge or two, and
   * the engine thread's scavenges copied ~10 MB each (30–40 ms).
   */
  #spare: (PointColumns | undefined)[] = [];
  /** Points held in #tails, and those of them the last partial take left (tails too short to take). */
  #held = 0;
  #left = 0;

  /** Adds a scored point; returns how many points were added since the last take. */
  push(seriesId: number, p: ScoredPoint): number {
    let tail = this.#tails.get(seriesId);
    if (tail === undefined) {
      tail = this.#spare[seriesId];
      if (tail === undefined) tail = new PointColumns(this.#tailSizes[seriesId] ?? 8);
      else this.#spare[seriesId] = undefined;
      this.#tails.set(seriesId, tail);
    }
    tail.push(p);
    return ++this.#held - this.#left;
  }

  /** Takes every tail for a write (a checkpoint); they stay visible until `settle`. */
  takeAll(): Map<number, PointColumns> {
    const points = this.#tails;
    for (const [sid, cols] of points) this.#tailSizes[sid] = Math.max(8, Math.ceil(cols.length * 1.25));
    this.#tails = new Map();
    this.#held = 0;
    this.#left = 0;
    this.#inflight = points;
    return points;
  }

  /**
   * Takes the tails of at least `min` points for a write ahead of the checkpoint (shorter tails
   * wait); they stay visible until `settle`. Empty when no tail is long enough.
   */
  takeAtLeast(min: number): Map<number, PointColumns> {
    const points = new Map<number, PointColumns>();
    let moved = 0;
    for (const [sid, cols] of this.#tails) {
      if (cols.length < min) continue;
      points.set(sid, cols);
      moved += cols.length;
      this.#tailSizes[sid] = Math.max(8, Math.ceil(cols.length * 1.25));
      this.#tails.delete(sid);
    }
    this.#held -= moved;
    this.#left = this.#held;
    if (points.size > 0) this.#inflight = points;
    return points;
  }

  /**
   * The write of `points` (from a take) is over: durable (`ok`), and its busy tails are kept as
   * their series' next tails; or failed, and its points go back ahead of those scored since.
   * `recycleAt`: a tail shorter than this belongs to a quiet series and is let go.
   */
  settle(points: Map<number, PointColumns>, ok: boolean, recycleAt: number): void {
    this.#inflight = new Map();
    if (!ok) {
      for (const [sid, ps] of this.#tails) {
        const older = points.get(sid);
        if (older === undefined) points.set(sid, ps);
        else older.append(ps);
      }
      this.#tails = points;
      this.#held = 0;
      for (const c of points.values()) this.#held += c.length;
      this.#left = 0;
      return;
    }
    for (const [sid, cols] of points) {
      if (cols.length < recycleAt) continue;
      cols.length = 0;
      this.#spare[sid] = cols;
    }
  }

  /**
   * Drops the pending points of deleted series; returns how many. Call only with no write in
   * flight (its points would be written anyway).
   */
  drop(ids: Iterable<number>): number {
    let dropped = 0;
    for (const id of ids) {
      const tail = this.#tails.get(id);
      this.#spare[id] = undefined;
      if (tail === undefined) continue;
      this.#tails.delete(id);
      dropped += tail.length;
    }
    this.#held -= dropped;
    this.#left = Math.min(this.#left, this.#held);
    return dropped;
  }

  /** Buffered points of a series with from ≤ ts < to (in flight first, then newer), into `out`. */
  collect(seriesId: number, from: number, to: number, out: ScoredPoint[]): void {
    this.#inflight.get(seriesId)?.collect(from, to, out);
    this.#tails.get(seriesId)?.collect(from, to, out);
  }
}
