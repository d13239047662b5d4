/**
 * The single-thread speed kernel of `vigil bench nab`: every series preloaded, their points
 * interleaved by timestamp as a live stream would deliver them, one detector instance per
 * series, score-then-update on every point, one thread. Its points/s is the detector's own
 * cost, free of file I/O, worker start-up and scheduling.
 */
import { type Detector, stepOf } from '../../core/detectors/detector.ts';
import { Pipeline } from '../../core/pipeline/pipeline.ts';

export interface KernelOrder {
  /** For the k-th point of the stream: which series, and which row of it. */
  readonly series: Uint32Array;
  readonly row: Uint32Array;
}

/**
 * Merges series by timestamp, each kept in its own row order (some go back in time). Among
 * series whose next points tie, the one that waited longest goes first (round-robin).
 */
export function interleaveByTimestamp(ts: readonly Float64Array[]): KernelOrder {
  const total = ts.reduce((n, t) => n + t.length, 0);
  const series = new Uint32Array(total);
  const row = new Uint32Array(total);
  const next = new Uint32Array(ts.length);
  // Binary min-heap of series keyed by (timestamp of next point, sequence number).
  const heap: number[] = [];
  const key = new Float64Array(ts.length);
  const seq = new Float64Array(ts.length);
  let counter = 0;
  const less = (a: number, b: number) => key[a]! < key[b]! || (key[a] === key[b] && seq[a]! < seq[b]!);
  const push = (s: number) => {
    key[s] = ts[s]![next[s]!]!;
    seq[s] = counter++;
    let i = heap.push(s) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  };
  const pop = (): number => {
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  };
  ts.forEach((t, s) => {
    if (t.length > 0) push(s);
  });
  for (let k = 0; k < total; k++) {
    const s = pop();
    series[k] = s;
    row[k] = next[s]!++;
    if (next[s]! < ts[s]!.length) push(s);
  }
  return { series, row };
}

/** Runs the stream through `detectors[s]` (one per series) and returns points per second. */
export function runKernel(
  detectors: readonly (Detector | Pipeline)[],
  ts: readonly Float64Array[],
  values: readonly Float64Array[],
  order: KernelOrder,
): number {
  const n = order.series.length;
  const started = performance.now();
  for (let k = 0; k < n; k++) {
    const s = order.series[k]!;
    const i = order.row[k]!;
    const d = detectors[s]!;
    const t = ts[s]![i]!;
    const v = values[s]![i]!;
    if (d instanceof Pipeline) d.step(t, v);
    else stepOf(d, t, v);
  }
  const seconds = (performance.now() - started) / 1000;
  return n / Math.max(seconds, 1e-9);
}
