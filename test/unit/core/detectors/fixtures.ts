/**
 * Deterministic synthetic streams for the detector conformance suite: a seeded PRNG, a general
 * stream, edge-case streams (gaps, extremes), and a labelled fixture with known anomalies.
 */

/** mulberry32: a small seeded 32-bit PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform source (Box–Muller). */
export function gaussian(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export interface Stream {
  name: string;
  ts: number[];
  values: number[];
}

export interface LabelledStream extends Stream {
  /** Anomalous events as [start, end) point ranges, all at or after `evalFrom`. */
  events: [number, number][];
  /** Points before this index are left out of evaluation (warm-up of every detector). */
  evalFrom: number;
}

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

/** A general stream: noisy daily-ish sine, drift, spikes, a level shift, mostly regular time with gaps. */
export function generalStream(n: number, seed: number): Stream {
  const u = prng(seed);
  const g = gaussian(u);
  const ts: number[] = [];
  const values: number[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    t += u() < 0.02 ? MINUTE * (2 + Math.floor(u() * 30)) : MINUTE;
    let v = 100 + 20 * Math.sin((2 * Math.PI * i) / 96) + 0.002 * i + 3 * g();
    if (i > n / 2) v += 25;
    if (u() < 0.004) v += 60 * (u() < 0.5 ? -1 : 1);
    ts.push(t);
    values.push(v);
  }
  return { name: 'general', ts, values };
}

/** Streams that break naive arithmetic: every value is a finite float64 that ingest accepts. */
export function edgeStreams(): Stream[] {
  const out: Stream[] = [];
  const regular = (name: string, values: number[]): void => {
    out.push({ name, ts: values.map((_, i) => T0 + i * MINUTE), values });
  };
  const series = (
    n: number,
    f: (i: number, g: () => number, u: () => number) => number,
    seed = 1,
  ): number[] => {
    const u = prng(seed);
    const g = gaussian(u);
    return Array.from({ length: n }, (_, i) => f(i, g, u));
  };
  regular(
    'constant',
    series(400, () => 42),
  );
  regular(
    'zeros',
    series(400, () => 0),
  );
  regular(
    'constant then step',
    series(400, (i) => (i < 300 ? 7 : 8)),
  );
  regular(
    'huge',
    series(400, (_, g) => 1e300 * (1 + 0.1 * g())),
  );
  regular(
    'huge, alternating sign',
    series(400, (i, g) => (i % 2 === 0 ? 1 : -1) * 1e300 * (1 + 0.1 * g())),
  );
  regular(
    'max magnitude',
    series(400, (i, _, u) => [Number.MAX_VALUE, -Number.MAX_VALUE, 0, 1][Math.floor(u() * 4)]! + i * 0),
  );
  regular(
    'tiny',
    series(400, (_, g) => 1e-300 * (1 + 0.1 * g())),
  );
  regular(
    'denormal',
    series(400, (_, __, u) => Number.MIN_VALUE * Math.floor(u() * 5)),
  );
  regular(
    'negative',
    series(400, (_, g) => -1000 + 5 * g()),
  );
  regular(
    'mixed magnitudes',
    series(400, (i, g, u) => (u() < 0.05 ? (u() < 0.5 ? 1e300 : -1e300) : i % 50 === 0 ? 0 : g())),
  );
  regular(
    'zero to huge steps',
    series(400, (i) => (Math.floor(i / 37) % 2 === 0 ? 0 : 1e300)),
  );
  // Irregular time: jitter, bursts at one timestamp, gaps of a day and a year, one step backwards.
  const u = prng(9);
  const g = gaussian(u);
  const ts: number[] = [];
  const values: number[] = [];
  let t = T0;
  for (let i = 0; i < 600; i++) {
    const r = u();
    if (i === 300) t += 365 * 24 * 60 * MINUTE;
    else if (i === 450) t -= 10 * MINUTE;
    else if (r < 0.05) t += 24 * 60 * MINUTE;
    else if (r > 0.1) t += Math.floor(u() * 2 * MINUTE);
    ts.push(t);
    values.push(10 * Math.sin(i / 10) + g());
  }
  out.push({ name: 'irregular time', ts, values });
  out.push({
    name: 'timestamp extremes',
    ts: Array.from({ length: 200 }, (_, i) => (i < 100 ? i : 32503680000000 - (200 - i))),
    values: Array.from({ length: 200 }, (_, i) => Math.sin(i)),
  });
  return out;
}

/**
 * The labelled fixture: several series, each with anomalous events placed after `evalFrom`:
 * single-point spikes, level shifts (the event is the first 5 points) and high-variance stretches
 * (the event is the stretch). Magnitudes are set against the series' whole normal range (noise
 * plus seasonality), so that a detector without a seasonal model can see them too.
 */
export function labelledFixture(): LabelledStream[] {
  const n = 2400;
  const evalFrom = 800;
  const out: LabelledStream[] = [];
  const make = (
    name: string,
    seed: number,
    base: (i: number) => number,
    sd: number,
    jump: number,
    anomalies: { spikes?: number[]; shift?: number; variance?: [number, number, number] },
  ): void => {
    const u = prng(seed);
    const g = gaussian(u);
    const ts: number[] = [];
    const values: number[] = [];
    const events: [number, number][] = [];
    for (const i of anomalies.spikes ?? []) events.push([i, i + 1]);
    if (anomalies.shift !== undefined) events.push([anomalies.shift, anomalies.shift + 5]);
    const v = anomalies.variance;
    if (v !== undefined) events.push([v[0], v[1]]);
    for (let i = 0; i < n; i++) {
      const e = v !== undefined && i >= v[0] && i < v[1] ? v[2] * g() : g();
      let x = base(i) + sd * e;
      if (anomalies.shift !== undefined && i >= anomalies.shift) x += jump;
      if (anomalies.spikes?.includes(i)) x += i % 2 === 0 ? jump : -jump;
      ts.push(T0 + i * 5 * MINUTE);
      values.push(x);
    }
    events.sort((a, b) => a[0] - b[0]);
    out.push({ name, ts, values, events, evalFrom });
  };
  const sine = (amp: number, period: number, level: number) => (i: number) =>
    level + amp * Math.sin((2 * Math.PI * i) / period);
  make('noisy sine with spikes', 11, sine(10, 48, 50), 1, 16, {
    spikes: [900, 1137, 1400, 1655, 1900, 2210],
  });
  make('flat noise with spikes', 12, () => 5, 0.5, 3.5, { spikes: [1000, 1333, 1777, 2100] });
  make('level shift up', 13, () => 200, 4, 32, { shift: 1500 });
  make('level shift down on a sine', 14, sine(5, 100, 0), 0.3, -12, { shift: 1300, spikes: [1900] });
  make('variance burst', 15, () => 1000, 10, 0, { variance: [1500, 1600, 6] });
  make('variance burst on a sine', 16, sine(30, 288, 300), 2, 45, {
    variance: [1700, 1800, 12],
    spikes: [1000, 2200],
  });
  make('large scale with spikes', 17, sine(2e6, 60, 1e7), 1e5, 3e6, { spikes: [950, 1250, 1550, 2050] });
  make('negative values, shift and spikes', 18, () => -40, 2, 12, { shift: 1800, spikes: [1100, 2300] });
  return out;
}

/** Points after an event whose windows are not used as normal ones (detectors may still echo it). */
const GUARD = 20;

/**
 * Event ROC-AUC of `scores` on a labelled stream: each event's score is its maximum point score,
 * compared with the maximum over every all-normal window of the same length (from `evalFrom`,
 * not touching an event or the GUARD points after it); ties count half. The mean over events is
 * what a detector gets: 0.5 for random or constant scores, 1 when every event outranks every
 * normal stretch of its length.
 */
export function eventAuc(scores: ArrayLike<number>, s: LabelledStream): number {
  const n = s.values.length;
  const blocked = new Uint8Array(n);
  for (const [a, b] of s.events) for (let i = a; i < Math.min(n, b + GUARD); i++) blocked[i] = 1;
  const normalMaxima = new Map<number, number[]>();
  for (const [a, b] of s.events) {
    const len = b - a;
    if (normalMaxima.has(len)) continue;
    const maxima: number[] = [];
    for (let i = s.evalFrom; i + len <= n; i++) {
      let m = Number.NEGATIVE_INFINITY;
      let ok = true;
      for (let j = i; j < i + len; j++) {
        if (blocked[j] === 1) {
          ok = false;
          break;
        }
        m = Math.max(m, scores[j]!);
      }
      if (ok) maxima.push(m);
    }
    normalMaxima.set(len, maxima);
  }
  let total = 0;
  for (const [a, b] of s.events) {
    let m = Number.NEGATIVE_INFINITY;
    for (let j = a; j < b; j++) m = Math.max(m, scores[j]!);
    const maxima = normalMaxima.get(b - a)!;
    let wins = 0;
    for (const x of maxima) wins += x < m ? 1 : x === m ? 0.5 : 0;
    total += wins / maxima.length;
  }
  return total / s.events.length;
}
