import { describe, expect, it } from 'vitest';
import { Dvfa, FEATURES } from '../../../../../src/core/detectors/artime/dvfa.ts';

/**
 * The category search written out plainly, as ARTime describes it: every category's match and
 * energy computed in full, categories visited by decreasing match. `Dvfa.present` cuts sums
 * short and visits in another order; its outputs and its learned weights must be these, bit for bit.
 */
class PlainDvfa {
  w: number[][] = [];
  labels: number[] = [];
  used: number[] = [];
  clusters = 0;
  stamp = 0;
  best = 0;
  bestE = 0;

  lb: number;
  ub: number;
  readonly capacity: number;

  constructor(lb: number, ub: number, capacity: number) {
    this.lb = lb;
    this.ub = ub;
    this.capacity = capacity;
  }

  present(f: ArrayLike<number>, learn: boolean): number {
    this.stamp++;
    const x = [...Array.from(f), ...Array.from(f, (v) => 1 - v)];
    if (this.w.length === 0) {
      this.add(null, 1);
      this.clusters = 1;
      this.best = 0;
      this.bestE = 0;
      return 1;
    }
    const match: number[] = [];
    const energy: number[] = [];
    for (const w of this.w) {
      let s = 0;
      for (let i = 0; i < 2 * FEATURES; i++) s += Math.min(x[i]!, w[i]!);
      const ws = sum(w);
      const fs = s / (ws === 0 ? 0.001 : ws);
      const a = w[FEATURES - 1]!;
      const b = w[2 * FEATURES - 1]!;
      const es = (Math.min(x[FEATURES - 1]!, a) + Math.min(x[2 * FEATURES - 1]!, b)) / (a + b);
      match.push(fs * fs * fs * (es * es));
      energy.push(es);
    }
    // Decreasing match, ties by index, NaN first.
    const order = match
      .map((_m, j) => j)
      .sort((p, q) => {
        const mp = match[p]!;
        const mq = match[q]!;
        if (Number.isNaN(mp) !== Number.isNaN(mq)) return Number.isNaN(mp) ? -1 : 1;
        return mq > mp ? 1 : mq < mp ? -1 : p - q;
      });
    const head = order.find((j) => !Number.isNaN(match[j]!));
    const hasNaN = order.length > 0 && Number.isNaN(match[order[0]!]!);
    const topM = head === undefined ? Number.NEGATIVE_INFINITY : match[head]!;
    const seen = !(learn && hasNaN) && topM > 0;
    let label = -1;
    let mismatch = true;
    if (learn && !hasNaN) {
      if (topM >= this.ub) {
        for (const j of order) {
          if (!(match[j]! >= this.ub)) break;
          // Not Math.min: a NaN sample leaves the weight as it is.
          const w = this.w[j]!;
          for (let i = 0; i < w.length; i++) if (x[i]! < w[i]!) w[i] = x[i]!;
          this.used[j] = this.stamp;
        }
        // The visit's label is the last top-tied category's.
        for (const j of order) if (match[j] === topM) label = this.labels[j]!;
        mismatch = false;
      } else if (topM >= this.lb) {
        label = this.labels[head!]!;
        this.used[head!] = this.stamp;
        this.add(x, label);
        mismatch = false;
      }
    }
    this.best = seen ? topM : 0;
    this.bestE = seen ? energy[head!]! : 0;
    if (mismatch && learn) {
      this.add(x, ++this.clusters);
      label = -1;
    }
    return label;
  }

  add(x: number[] | null, label: number): void {
    let j = this.w.length;
    if (j >= this.capacity) {
      j = 0;
      for (let k = 1; k < this.w.length; k++) if (this.used[k]! < this.used[j]!) j = k;
    }
    this.w[j] = x ? [...x] : new Array<number>(2 * FEATURES).fill(1);
    this.labels[j] = label;
    this.used[j] = this.stamp;
  }

  remapLevels(a: number, b: number): void {
    const clamp = (v: number): number => (v < 0 ? 0 : Math.min(v, 1));
    for (const w of this.w) {
      for (let i = FEATURES / 2; i < FEATURES; i++) {
        const lo = clamp(a * w[i]! + b);
        const hi = clamp(a * (1 - w[FEATURES + i]!) + b);
        w[i] = lo;
        w[FEATURES + i] = 1 - hi;
      }
    }
  }
}

function sum(w: number[]): number {
  let s = 0;
  for (const v of w) s += v;
  return s;
}

function weights(d: Dvfa): Float64Array {
  const b64 = d.toJSON().w;
  return new Float64Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);
}

/** Deterministic samples: shapes near a few prototypes (so categories resonate), some exact repeats. */
function samples(seed: number, n: number, nanEvery = 0): Float64Array[] {
  let s = seed;
  const rnd = (): number => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  const protos = Array.from({ length: 6 }, () => Float64Array.from({ length: FEATURES }, rnd));
  const out: Float64Array[] = [];
  for (let t = 0; t < n; t++) {
    const r = rnd();
    if (r < 0.1 && out.length > 0) {
      out.push(out[Math.floor(rnd() * out.length)]!.slice());
      continue;
    }
    const p = protos[Math.floor(rnd() * protos.length)]!;
    const spread = r < 0.8 ? 0.05 : 0.5;
    // Levels in 80 steps, as the encoder gives them; the Haar half continuous.
    const f = Float64Array.from(p, (v, i) => {
      const u = Math.min(1, Math.max(0, v + spread * (rnd() - 0.5)));
      return i >= FEATURES / 2 ? Math.round(u * 80) / 80 : u;
    });
    if (nanEvery > 0 && t % nanEvery === nanEvery - 1) f[Math.floor(rnd() * FEATURES)] = Number.NaN;
    out.push(f);
  }
  return out;
}

function compare(seed: number, capacity: number, nanEvery = 0): number {
  let s = seed;
  const rnd = (): number => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
  const fast = new Dvfa(0.8, 0.8, capacity);
  const plain = new PlainDvfa(0.8, 0.8, capacity);
  let mismatches = 0;
  let learned = 0;
  for (const [t, f] of samples(seed, 1500, nanEvery).entries()) {
    if (t % 50 === 49) {
      // Vigilances move as ARTime adapts them, sometimes to lb = ub.
      const ub = 0.6 + 0.37 * rnd();
      const lb = rnd() < 0.2 ? ub : ub - 0.3 * rnd();
      fast.ub = plain.ub = ub;
      fast.lb = plain.lb = lb;
    }
    if (t % 400 === 399) {
      fast.remapLevels(0.8, 0.1);
      plain.remapLevels(0.8, 0.1);
    }
    const learn = t % 7 !== 3;
    const a = fast.present(f, learn);
    const b = plain.present(f, learn);
    if (a !== b || !Object.is(fast.best, plain.best) || !Object.is(fast.bestE, plain.bestE)) mismatches++;
    if (a >= 0) learned++;
  }
  expect(mismatches).toBe(0);
  expect(fast.categories).toBe(plain.w.length);
  expect(Array.from(weights(fast))).toEqual(plain.w.flat());
  expect(fast.toJSON().labels).toEqual(plain.labels);
  expect(fast.toJSON().used).toEqual(plain.used);
  return learned;
}

describe('dvfa category search', () => {
  it('matches the plain search bit for bit, categories unbounded', () => {
    for (const seed of [1, 2, 3]) expect(compare(seed, Number.POSITIVE_INFINITY)).toBeGreaterThan(100);
  });

  it('matches it at a category cap, where new categories replace the stalest', () => {
    for (const seed of [4, 5]) expect(compare(seed, 16)).toBeGreaterThan(100);
  });

  it('matches it when samples carry NaN', () => {
    expect(compare(6, 64, 37)).toBeGreaterThan(10);
  });

  it('matches it for samples and restored weights far outside [0, 1]', () => {
    const xs = samples(8, 400).map((f, t) => (t % 5 === 0 ? f.map((v) => 40 * v - 20) : f));
    const fast = new Dvfa(0.8, 0.8, 64);
    const plain = new PlainDvfa(0.8, 0.8, 64);
    for (const f of xs) {
      expect([fast.present(f, true), fast.best, fast.bestE]).toEqual([
        plain.present(f, true),
        plain.best,
        plain.bestE,
      ]);
    }
    expect(Array.from(weights(fast))).toEqual(plain.w.flat());
    // A state whose weights were scaled up (not one learning makes) restores and searches alike.
    const data = fast.toJSON();
    const big = weights(fast).map((v) => v * 1e6);
    const restored = new Dvfa(0, 0, 64, { ...data, w: Buffer.from(big.buffer).toString('base64') });
    for (const row of plain.w) for (let i = 0; i < row.length; i++) row[i] = row[i]! * 1e6;
    for (const f of samples(9, 200)) {
      expect([restored.present(f, true), restored.best, restored.bestE]).toEqual([
        plain.present(f, true),
        plain.best,
        plain.bestE,
      ]);
    }
  });

  it('matches it after a restore and in a clone', () => {
    const fast = new Dvfa(0.8, 0.8, 64);
    const xs = samples(7, 600);
    for (const f of xs.slice(0, 300)) fast.present(f, true);
    const restored = new Dvfa(0, 0, 64, JSON.parse(JSON.stringify(fast.toJSON())));
    const clone = fast.clone();
    for (const f of xs.slice(300)) {
      const a = fast.present(f, true);
      expect([restored.present(f, true), restored.best, restored.bestE]).toEqual([a, fast.best, fast.bestE]);
      expect([clone.present(f, true), clone.best, clone.bestE]).toEqual([a, fast.best, fast.bestE]);
    }
  });
});
