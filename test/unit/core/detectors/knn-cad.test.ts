import { describe, expect, it } from 'vitest';
import { knnCad } from '../../../../src/core/detectors/knn-cad/knn-cad.ts';
import { choleskyOfGram, whiten } from '../../../../src/core/detectors/knn-cad/whitening.ts';

function stream(n: number, seed = 5): number[] {
  let x = seed;
  return Array.from({ length: n }, (_, i) => {
    x = (x * 48271) % 2147483647;
    return 50 + 10 * Math.sin((2 * Math.PI * i) / 40) + (x / 2147483647 - 0.5);
  });
}

describe('knn-cad metric', () => {
  it('whitened squared distance equals (a − b)ᵀ (XᵀX)⁻¹ (a − b)', () => {
    const dim = 3;
    const rows = [
      [1, 2, 0.5],
      [0.3, -1, 2],
      [2, 0.1, 1],
      [-1, 1, 1],
      [0.5, 0.5, -2],
    ];
    const x = new Float64Array(rows.flat());
    const l = choleskyOfGram(x, 0, rows.length, rows.length, dim)!;
    const a = [0.2, 1.5, -0.7];
    const b = [1.1, -0.4, 0.9];
    const ya = new Float64Array(dim);
    const yb = new Float64Array(dim);
    whiten(l, dim, a, 0, ya, 0);
    whiten(l, dim, b, 0, yb, 0);
    const viaL = ya.reduce((s, v, i) => s + (v - yb[i]!) ** 2, 0);
    // Direct: G = XᵀX, solve G z = (a − b) by Gaussian elimination, then (a − b)·z.
    const g = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
    const d = a.map((v, i) => v - b[i]!);
    const m = g.map((r, i) => [...r, d[i]!]);
    for (let c = 0; c < dim; c++) {
      for (let r = c + 1; r < dim; r++) {
        const f = m[r]![c]! / m[c]![c]!;
        for (let k = c; k <= dim; k++) m[r]![k]! -= f * m[c]![k]!;
      }
    }
    const z = [0, 0, 0];
    for (let r = dim - 1; r >= 0; r--) {
      let s = m[r]![dim]!;
      for (let k = r + 1; k < dim; k++) s -= m[r]![k]! * z[k]!;
      z[r] = s / m[r]![r]!;
    }
    const direct = d.reduce((s, v, i) => s + v * z[i]!, 0);
    expect(viaL).toBeCloseTo(direct, 12);
  });

  it('reports a rank-deficient Gram matrix (a flat series) as no metric', () => {
    const x = new Float64Array(30).fill(4);
    expect(choleskyOfGram(x, 0, 10, 10, 3)).toBeNull();
  });
});

describe('knn-cad detector', () => {
  const params = { ...knnCad.defaults, probation: 300 };

  it('is silent during probation, then gives conformal p-values in [0, 1]', () => {
    const d = knnCad.create(params);
    const s = stream(1000).map((v, i) => d.step!(i, v).score);
    // P windows train: the first dim − 1 values make no window.
    expect(s.slice(0, 300 + 18).every((x) => x === 0)).toBe(true);
    const later = s.slice(318);
    expect(later.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(later.filter((x) => x > 0).length).toBeGreaterThan(200);
  });

  it('scores a spike near 1 and silences the next P/5 outputs', () => {
    const d = knnCad.create(params);
    const values = stream(1000);
    values[700] = 90;
    const s = values.map((v, i) => d.step!(i, v).score);
    expect(s[700]).toBeGreaterThanOrEqual(params.refractoryThreshold);
    expect(s.slice(701, 701 + 60).every((x) => x === 0)).toBe(true);
    expect(s.slice(761, 800).some((x) => x > 0)).toBe(true);
  });

  it('copes with a flat series and keeps its state finite', () => {
    const d = knnCad.create(params);
    const s = Array.from({ length: 800 }, (_, i) => d.step!(i, 7).score);
    expect(s.every((x) => x === 0)).toBe(true);
    const state = JSON.stringify(d.snapshot());
    expect(state.length).toBeLessThanOrEqual(knnCad.maxStateBytes!);
    const restored = knnCad.create(params, JSON.parse(state));
    expect(restored.step!(800, 8).score).toBe(d.step!(800, 8).score);
  });
});
