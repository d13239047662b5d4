/**
 * Event-time admission of one series' points: the next point in time order, a late point within
 * the allowed lateness, a duplicate of a recent timestamp, or too late. Shared by the engine (which
 * scores) and the stream processor (which filters before scoring), so both apply one rule.
 */

/** How many recent timestamps each series remembers to recognise duplicates among late points. */
export const RECENT = 8;

export type Admission = 'next' | 'late' | 'duplicate' | 'too_late';

/** Per-series event-time bookkeeping. */
export interface SeriesClock {
  lastTs: number;
  /**
   * Ring of the last RECENT accepted timestamps. A plain array of doubles, not a Float64Array: one
   * per series, and a typed array costs about 270 bytes of headers besides its 64 bytes of data
   * (issue 19, bench/README.md "Cost per series").
   */
  recent: number[];
  /**
   * Entries written so far, counted on from RECENT to 2·RECENT − 1 and then back by RECENT once the
   * ring is full (so it stays a small integer): the next write position is `written % RECENT`, the
   * entries held min(written, RECENT). One field where a separate head cost 8 bytes a series.
   */
  written: number;
}

export function newClock(): SeriesClock {
  return { lastTs: Number.NEGATIVE_INFINITY, recent: newRecent(), written: 0 };
}

/** An empty ring of RECENT doubles (its entries are read only once written). */
export function newRecent(): number[] {
  // Filled with a double: double elements of exactly RECENT slots.
  return new Array<number>(RECENT).fill(0.5);
}

/** Classifies `ts` without changing the clock; call `accept` for points that are kept. */
export function admit(c: SeriesClock, ts: number, allowedLatenessMs: number): Admission {
  if (ts > c.lastTs) return 'next';
  const n = Math.min(c.written, RECENT);
  let oldest = c.lastTs;
  for (let i = 0; i < n; i++) {
    const r = c.recent[i]!;
    if (r === ts) return 'duplicate';
    if (r < oldest) oldest = r;
  }
  if (ts < c.lastTs - allowedLatenessMs || (n === RECENT && ts < oldest)) return 'too_late';
  return 'late';
}

/** Records an admitted point ('next' or 'late'). */
export function accept(c: SeriesClock, ts: number): void {
  if (ts > c.lastTs) c.lastTs = ts;
  const w = c.written;
  c.recent[w % RECENT] = ts;
  c.written = w + 1 < 2 * RECENT ? w + 1 : w + 1 - RECENT;
}

/** The remembered timestamps, oldest first (what a snapshot stores). */
export function recentOf(c: SeriesClock): number[] {
  const n = Math.min(c.written, RECENT);
  const head = c.written % RECENT;
  return Array.from({ length: n }, (_, i) => c.recent[(head - n + i + RECENT) % RECENT]!);
}
