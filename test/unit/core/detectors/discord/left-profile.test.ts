import { describe, expect, it } from 'vitest';
import { LeftProfile } from '../../../../../src/core/detectors/discord/left-profile.ts';
import { gaussian, prng } from '../fixtures.ts';

/** The left nearest-neighbour correlation by brute force: every candidate, every product. */
function bruteForce(x: number[], e: number, m: number, history: number): number {
  const z = (end: number): number[] => {
    const w = x.slice(end - m + 1, end + 1);
    const mu = w.reduce((a, b) => a + b, 0) / m;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mu) ** 2, 0) / m);
    return w.map((v) => (v - mu) / sd);
  };
  const a = z(e);
  let best = Number.NEGATIVE_INFINITY;
  for (let j = Math.max(m - 1, e - history); j <= e - m; j++) {
    const b = z(j);
    let c = 0;
    for (let k = 0; k < m; k++) c += a[k]! * b[k]!;
    best = Math.max(best, c / m);
  }
  return best;
}

describe('LeftProfile', () => {
  const g = gaussian(prng(5));
  const x = Array.from({ length: 1500 }, (_, i) => Math.sin(i / 7) + 0.3 * g() + (i > 900 ? 2 : 0));
  const m = 16;
  const history = 200;

  it('gives the exact left nearest-neighbour correlation, through compactions and refreshes', () => {
    const p = new LeftProfile(m, history);
    for (let e = 0; e < x.length; e++) {
      const probe = p.push(x[e]!, false);
      const got = p.push(x[e]!, true);
      expect(Object.is(probe, got), `score-only push at ${e}`).toBe(true);
      if (e < 2 * m - 1) expect(Number.isNaN(got)).toBe(true);
      else expect(got).toBeCloseTo(bruteForce(x, e, m, history), 9);
    }
  });

  it('restores from its snapshot and goes on bit for bit', () => {
    const a = new LeftProfile(m, history);
    let b = new LeftProfile(m, history);
    for (let e = 0; e < x.length; e++) {
      if (e % 97 === 0) b = new LeftProfile(m, history, JSON.parse(JSON.stringify(b.snapshot())));
      expect(Object.is(b.push(x[e]!, true), a.push(x[e]!, true)), `value ${e}`).toBe(true);
    }
    expect(JSON.stringify(b.snapshot())).toBe(JSON.stringify(a.snapshot()));
  });

  it('matches flat subsequences with flat ones only', () => {
    const p = new LeftProfile(8, 100);
    for (let i = 0; i < 40; i++) p.push(3, true);
    expect(p.push(3, true)).toBe(1);
    expect(p.push(4, false)).toBe(0);
  });
});
