import { describe, expect, it } from 'vitest';
import { BlockVariance } from '../../../../src/core/scoring/block-variance.ts';
import { prng } from '../detectors/fixtures.ts';

function twoPass(xs: readonly number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
}

describe('BlockVariance', () => {
  const u = prng(5);
  const xs = Array.from({ length: 1234 }, (_, i) => 1e6 + 0.01 * u() + (i > 900 ? 0.5 : 0));

  it('gives the variance of the blocks from a record on, as a two-pass sum does', () => {
    const b = new BlockVariance(20, 300);
    for (const x of xs) b.push(x);
    // The window from 940 (a block start) on, and from 931 (taken from the next block, 940).
    expect(b.variance(940)).toBeCloseTo(twoPass(xs.slice(940)), 12);
    expect(b.variance(931)).toBe(b.variance(940));
    // A window older than the span kept (300 records) starts at the oldest block kept.
    expect(b.variance(0)).toBeCloseTo(twoPass(xs.slice(Math.floor(1234 / 20) * 20 - 300)), 12);
    // Inside the last, unfinished block: that block alone.
    expect(b.variance(1233)).toBeCloseTo(twoPass(xs.slice(1220)), 12);
  });

  it('restores from its JSON exactly, also when started mid-block', () => {
    const a = new BlockVariance(20, 300);
    const late = BlockVariance.startingAt(20, 300, 507);
    for (let i = 0; i < xs.length; i++) {
      if (i === 700) {
        const b = new BlockVariance(20, 300, JSON.parse(JSON.stringify(a.toJSON())));
        const c = new BlockVariance(20, 300, JSON.parse(JSON.stringify(late.toJSON())));
        for (let j = i; j < xs.length; j++) {
          for (const d of [a, b]) d.push(xs[j]!);
          for (const d of [late, c]) d.push(xs[j]!);
        }
        expect(b.toJSON()).toEqual(a.toJSON());
        expect(c.toJSON()).toEqual(late.toJSON());
        expect(b.variance(1000)).toBe(a.variance(1000));
        return;
      }
      a.push(xs[i]!);
      if (i >= 507) late.push(xs[i]!);
    }
  });

  it('leaves out the block a late start cuts', () => {
    const b = BlockVariance.startingAt(20, 300, 15);
    for (let i = 15; i < 100; i++) b.push(xs[i]!);
    expect(b.variance(15)).toBeCloseTo(twoPass(xs.slice(20, 100)), 12);
  });
});
