/**
 * The typed-array forest against a literal, pointer-based reading of the streaming RRCF (Guha et
 * al. 2016, as rrcf intends it): nodes as objects, CoDisp computed after insertion by walking from
 * the new leaf to the root (max of |sibling| / |subtree holding the leaf|), counts and boxes
 * recomputed from scratch after every change, FIFO forgetting. The reference draws its cuts from
 * the same generator in the same order as Forest (tree by tree, one draw per node whose box does
 * not hold the point, dimension ∝ span, value uniform), so every CoDisp must match exactly. What is
 * checked is the bookkeeping that the forest does incrementally: shared leaves and multiplicities,
 * counts, box growth and shrinking, sibling promotion on removal, ratios taken on the way down.
 */
import { describe, expect, it } from 'vitest';
import { Forest } from '../../../../../src/core/detectors/rcf/forest.ts';
import { Prng } from '../../../../../src/core/math/prng.ts';

interface RefLeaf {
  kind: 'leaf';
  x: number[];
  n: number;
  up: RefBranch | null;
}
interface RefBranch {
  kind: 'branch';
  dim: number;
  cut: number;
  l: RefNode;
  r: RefNode;
  n: number;
  lo: number[];
  hi: number[];
  up: RefBranch | null;
}
type RefNode = RefLeaf | RefBranch;

const lo = (n: RefNode): number[] => (n.kind === 'leaf' ? n.x : n.lo);
const hi = (n: RefNode): number[] => (n.kind === 'leaf' ? n.x : n.hi);

/** Counts and boxes of every branch from `b` to the root, from the children. */
function refresh(from: RefBranch | null): void {
  for (let b = from; b !== null; b = b.up) {
    const { l, r } = b;
    b.n = l.n + r.n;
    b.lo = lo(l).map((v, j) => Math.min(v, lo(r)[j]!));
    b.hi = hi(l).map((v, j) => Math.max(v, hi(r)[j]!));
  }
}

class RefTree {
  root: RefNode | null = null;
  /** The leaf of each point still held, oldest first. */
  readonly fifo: RefLeaf[] = [];

  /** Inserts `x`, drawing from `rng` as Forest does; returns the new point's CoDisp. */
  insert(x: number[], rng: Prng): number {
    if (this.root === null) {
      this.root = { kind: 'leaf', x, n: 1, up: null };
      this.fifo.push(this.root);
      return 0;
    }
    let node: RefNode = this.root;
    for (;;) {
      const a = lo(node);
      const b = hi(node);
      if (x.some((v, j) => v < a[j]! || v > b[j]!)) {
        const [dim, drawn] = drawCut(rng, x, a, b);
        let cut = drawn;
        const p = x[dim]!;
        let separated = p < a[dim]! ? cut < a[dim]! : p > b[dim]! && cut >= b[dim]! && cut < p;
        if (!separated && node.kind === 'leaf') {
          cut = p < a[dim]! ? p : b[dim]!;
          separated = true;
        }
        if (separated) {
          const leaf: RefLeaf = { kind: 'leaf', x, n: 1, up: null };
          const up: RefBranch | null = node.up;
          const [l, r] = p <= cut ? [leaf, node] : [node, leaf];
          const branch: RefBranch = { kind: 'branch', dim, cut, l, r, n: 0, lo: [], hi: [], up };
          if (up === null) this.root = branch;
          else if (up.l === node) up.l = branch;
          else up.r = branch;
          leaf.up = branch;
          node.up = branch;
          refresh(branch);
          this.fifo.push(leaf);
          return codisp(leaf);
        }
      } else if (node.kind === 'leaf') {
        node.n++;
        refresh(node.up);
        this.fifo.push(node);
        return codisp(node);
      }
      // A leaf either separated the point (a cut is forced there) or was its duplicate.
      if (node.kind === 'leaf') throw new Error('unreachable');
      node = x[node.dim]! <= node.cut ? node.l : node.r;
    }
  }

  forgetOldest(): void {
    const leaf = this.fifo.shift()!;
    if (leaf.n > 1) {
      leaf.n--;
      refresh(leaf.up);
      return;
    }
    const parent = leaf.up;
    if (parent === null) {
      this.root = null;
      return;
    }
    const sibling = parent.l === leaf ? parent.r : parent.l;
    const grand = parent.up;
    sibling.up = grand;
    if (grand === null) this.root = sibling;
    else if (grand.l === parent) grand.l = sibling;
    else grand.r = sibling;
    refresh(grand);
  }
}

function codisp(leaf: RefLeaf): number {
  let best = 0;
  let node: RefNode = leaf;
  for (let up = node.up; up !== null; node = up, up = up.up) {
    const sibling = up.l === node ? up.r : up.l;
    best = Math.max(best, sibling.n / node.n);
  }
  return best;
}

/** One draw: the dimension with probability ∝ the merged box's span, the cut uniform in it. */
function drawCut(rng: Prng, x: number[], a: number[], b: number[]): [number, number] {
  const from = x.map((v, j) => Math.min(v, a[j]!));
  const span = x.map((v, j) => Math.max(v, b[j]!) - from[j]!);
  let total = 0;
  for (const s of span) total += s;
  const r = rng.next() * total;
  let acc = 0;
  let j = 0;
  for (; j < span.length - 1 && acc + span[j]! <= r; j++) acc += span[j]!;
  return [j, Math.min(from[j]! + (r - acc), Math.max(x[j]!, b[j]!))];
}

/** A stream with many exact repeats and ties on single coordinates, and a few spikes. */
function stream(n: number, dims: number, seed: number): number[][] {
  const rng = new Prng(seed);
  const values: number[] = [];
  let level = 10;
  for (let i = 0; i < n + dims; i++) {
    if (rng.next() < 0.02) level += Math.round((rng.next() - 0.5) * 20);
    const spike = rng.next() < 0.01 ? 50 : 0;
    values.push(level + Math.floor(rng.next() * 3) + spike);
  }
  return Array.from({ length: n }, (_, i) => values.slice(i, i + dims));
}

describe('rcf forest against a literal RRCF', () => {
  for (const [trees, treeSize, dims, seed] of [
    [5, 32, 3, 1],
    [3, 8, 1, 2],
    [4, 64, 4, 3],
  ] as const) {
    it(`returns the reference CoDisp for every point (${trees} trees × ${treeSize}, ${dims} dims)`, () => {
      const forest = new Forest({ trees, treeSize, dims }, seed);
      const rng = new Prng(seed);
      const ref = Array.from({ length: trees }, () => new RefTree());
      for (const [i, x] of stream(1500, dims, seed + 100).entries()) {
        const dry = forest.codisp(x);
        const got = forest.insert(x);
        let sum = 0;
        for (const t of ref) sum += t.insert(x, rng);
        const want = sum / trees;
        expect(got, `point ${i}`).toBe(want);
        expect(dry, `point ${i} (score before learning)`).toBe(want);
        if (forest.size > treeSize) {
          forest.forgetOldest();
          for (const t of ref) t.forgetOldest();
        }
        expect(forest.rng.state()).toEqual(rng.state());
      }
    });
  }
});
