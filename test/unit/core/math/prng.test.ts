import { describe, expect, it } from 'vitest';
import { Prng } from '../../../../src/core/math/prng.ts';

describe('Prng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 8 }, () => a.nextUint32());
    expect(Array.from({ length: 8 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('resumes exactly from a saved state', () => {
    const a = new Prng(7);
    for (let i = 0; i < 100; i++) a.next();
    const b = new Prng().setState(a.state());
    const c = new Prng().copyFrom(a);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).toEqual(xs);
  });

  it('is uniform enough on [0, 1)', () => {
    const r = new Prng(1);
    const bins = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outside++;
      else bins[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    for (const b of bins) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});
