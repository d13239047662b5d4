import { describe, expect, it } from 'vitest';
import { Forest } from '../../../../src/core/detectors/rcf/forest.ts';
import { type RcfDetector, rcf } from '../../../../src/core/detectors/rcf/rcf.ts';
import { loadNab } from './nab-fixture.ts';

const shape = { trees: 40, treeSize: 256, dims: 4 };

function quantile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(p * (s.length - 1))]!;
}

describe('rcf against rrcf', () => {
  // rrcf 0.4.4, README streaming recipe (40 trees, tree_size 256, shingle 4, forget oldest, insert,
  // codisp), run side by side on machine_temperature_system_failure rows 0..1999; its average
  // CoDisp over points 300..1996: mean 9.25, median 6.24, 90th percentile 20.22, 99th 39.91.
  // Seeds differ, so the comparison is statistical (rrcf against itself varies as much).
  it('gives CoDisp with the distribution rrcf gives on the same stream', () => {
    const f = loadNab('realKnownCause/machine_temperature_system_failure.csv', 'exact');
    const forest = new Forest(shape, 1);
    const out: number[] = [];
    for (let i = 3; i < 2000; i++) {
      out.push(forest.insert(f.values.subarray(i - 3, i + 1)));
      if (forest.size > shape.treeSize) forest.forgetOldest();
    }
    const tail = out.slice(300);
    const mean = tail.reduce((a, b) => a + b, 0) / tail.length;
    expect(Math.abs(mean / 9.25 - 1)).toBeLessThan(0.05);
    expect(Math.abs(quantile(tail, 0.5) / 6.24 - 1)).toBeLessThan(0.05);
    expect(Math.abs(quantile(tail, 0.9) / 20.22 - 1)).toBeLessThan(0.05);
    expect(Math.abs(quantile(tail, 0.99) / 39.91 - 1)).toBeLessThan(0.1);
  });
});

describe('rcf forest', () => {
  it('keeps at most treeSize points (FIFO) and a codisp that insert then returns', () => {
    const forest = new Forest({ trees: 5, treeSize: 16, dims: 2 }, 3);
    for (let i = 0; i < 200; i++) {
      const p = [Math.sin(i), Math.cos(i * 0.7)];
      const dry = forest.codisp(p);
      expect(forest.insert(p)).toBe(dry);
      if (forest.size > 16) forest.forgetOldest();
      expect(forest.size).toBeLessThanOrEqual(16);
    }
  });

  it('treats exact duplicates as one leaf with multiplicity', () => {
    const forest = new Forest({ trees: 8, treeSize: 64, dims: 1 }, 1);
    for (let i = 0; i < 100; i++) {
      // An isolated point beside 63 copies of another: displaced by all of them.
      expect(forest.insert([5])).toBe(0);
      if (forest.size > 64) forest.forgetOldest();
    }
    expect(forest.codisp([6])).toBe(64);
  });

  it('rebuilds identically from its canonical encoding', () => {
    const a = new Forest({ trees: 4, treeSize: 32, dims: 2 }, 9);
    const pts: number[][] = [];
    for (let i = 0; i < 100; i++) {
      const p = [i % 7, Math.floor(i / 3) % 5];
      pts.push(p);
      a.insert(p);
      if (a.size > 32) a.forgetOldest();
    }
    const sample = new Float64Array(pts.slice(-a.size).flat());
    const b = Forest.restore(
      { trees: 4, treeSize: 32, dims: 2 },
      a.rng.state(),
      sample,
      a.seq,
      a.encodeTrees(),
    );
    expect(b.encodeTrees()).toEqual(a.encodeTrees());
    for (let i = 0; i < 50; i++) {
      const p = [(i * 3) % 11, i % 4];
      expect(b.insert(p)).toBe(a.insert(p));
      a.forgetOldest();
      b.forgetOldest();
    }
  });
});

describe('rcf detector', () => {
  const noisySine = (n: number): number[] => {
    let x = 7;
    return Array.from({ length: n }, (_, i) => {
      x = (x * 48271) % 2147483647;
      return 10 * Math.sin(i / 8) + (x / 2147483647 - 0.5);
    });
  };

  it('scores a spike above almost every normal point', () => {
    const d = rcf.create(rcf.defaults);
    const values = noisySine(1500);
    values[1200] = 30;
    const s = values.map((v, i) => d.step!(i * 60_000, v).score);
    const normal = s.slice(400, 1200);
    expect(s[1200]!).toBeGreaterThan(quantile(normal, 0.995));
    expect(Math.max(...s)).toBeLessThanOrEqual(1);
  });

  it('maps CoDisp to [0, 1]: 0 on a constant stream, 1 for a point isolated from the whole sample', () => {
    const d = rcf.create({ ...rcf.defaults, shingleSize: 1 });
    const s = Array.from({ length: 400 }, (_, i) => d.step!(i, 3).score);
    expect(s.every((x) => x === 0)).toBe(true);
    expect(d.score(400, 4).score).toBe(1);
  });

  it('scores 0 while the shingle fills and during warm-up', () => {
    const d = rcf.create(rcf.defaults);
    const s = noisySine(40).map((v, i) => d.step!(i, v).score);
    expect(s.slice(0, 35).every((x) => x === 0)).toBe(true);
    expect(s.slice(36).some((x) => x > 0)).toBe(true);
  });

  it('keeps the default snapshot within maxStateBytes and reports its in-memory size', () => {
    const d = rcf.create(rcf.defaults) as RcfDetector;
    for (const [i, v] of noisySine(1000).entries()) d.step!(i, v);
    const bytes = JSON.stringify(d.snapshot()).length;
    expect(bytes).toBeLessThanOrEqual(rcf.maxStateBytes!);
    expect(bytes).toBeGreaterThan(0.9 * rcf.maxStateBytes!);
    // Typed arrays: 40 trees × 256 internal nodes, boxes in float64 (2 × 4 × 8 B each) dominate.
    expect(d.memoryBytes).toBeLessThan(1_050_000);
  });
});
