/**
 * A streaming robust random cut forest (Guha et al., ICML 2016) on flat typed arrays: no object per
 * node. Every tree holds the same sample, the last `treeSize` points (FIFO, as in rrcf's streaming
 * recipe), so leaves (one per distinct point, with a multiplicity) are shared by all trees and only
 * the internal nodes, their cuts, counts and bounding boxes are per tree.
 *
 * Insertion follows the paper: at a node whose box does not contain the point, draw a cut over the
 * merged box (dimension ∝ span, value uniform); if it separates the point from the box, the point
 * becomes a sibling of that node, otherwise descend along the node's own cut. A point inside the
 * box cannot be separated there, so no number is drawn for it. An exact duplicate of a sampled point
 * raises that leaf's multiplicity. CoDisp (collusive displacement) of the inserted point is the
 * largest sibling-count / subtree-count ratio along its path, as rrcf computes it. Against a leaf
 * the cut is drawn like any other; rrcf 0.4.4, its latest release, always cuts there on dimension
 * 0 (a bug of its merged box, kLabUM/rrcf#101, fixed on its main branch only), which this does not
 * copy. A test holds every CoDisp to a literal pointer-based RRCF that draws the same numbers.
 *
 * Contract: `insert` returns the CoDisp averaged over trees; `codisp` returns what `insert` would
 * return, without changing anything (the random stream included). `forgetOldest` drops the oldest
 * point. Draws come from one seeded PRNG, tree by tree.
 */
import { Prng } from '../../math/prng.ts';

const NONE = -1;
/** Root of an empty tree. Internal nodes are refs ≥ 0; leaf k is ref ~k (< 0). */
const EMPTY = 0x7fffffff;
/** The preorder byte of a leaf in `encodeTrees`. */
const LEAF = 255;

export interface ForestShape {
  trees: number;
  treeSize: number;
  dims: number;
}

export class Forest {
  readonly trees: number;
  readonly treeSize: number;
  readonly dims: number;
  /** Points in the sample (with multiplicity), and the sequence number of the next point. */
  size = 0;
  seq = 0;
  readonly rng: Prng;
  readonly #dry = new Prng();

  // Point ring (shared): slot = seq mod (treeSize + 1).
  readonly #ring: number;
  readonly #points: Float64Array;
  readonly #pointLeaf: Int32Array;
  // Leaves (shared): representative point slot (the newest duplicate), multiplicity.
  readonly #leafPoint: Int32Array;
  readonly #leafCount: Int32Array;
  readonly #leafFree: Int32Array;
  #leafFreeTop: number;
  // Per tree: root, leaf parents, and internal nodes (capacity treeSize each).
  readonly #root: Int32Array;
  readonly #leafParent: Int32Array;
  readonly #left: Int32Array;
  readonly #right: Int32Array;
  readonly #parent: Int32Array;
  readonly #dim: Uint8Array;
  readonly #cut: Float64Array;
  readonly #count: Int32Array;
  readonly #lo: Float64Array;
  readonly #hi: Float64Array;
  readonly #free: Int32Array;
  readonly #freeTop: Int32Array;
  readonly #p: Float64Array;
  readonly #span: Float64Array;
  // Per insertion: the point's leaf once a tree made or found it (all trees agree on it), whether
  // it is a duplicate, and the value of the last cut drawn.
  #leaf = NONE;
  #duplicate = false;
  #cutValue = 0;

  constructor(shape: ForestShape, seed: number) {
    const { trees, treeSize, dims } = shape;
    this.trees = trees;
    this.treeSize = treeSize;
    this.dims = dims;
    this.rng = new Prng(seed);
    const ring = treeSize + 1;
    this.#ring = ring;
    this.#points = new Float64Array(ring * dims);
    this.#pointLeaf = new Int32Array(ring).fill(NONE);
    this.#leafPoint = new Int32Array(ring);
    this.#leafCount = new Int32Array(ring);
    this.#leafFree = Int32Array.from({ length: ring }, (_, i) => ring - 1 - i);
    this.#leafFreeTop = ring;
    this.#root = new Int32Array(trees).fill(EMPTY);
    this.#leafParent = new Int32Array(trees * ring).fill(NONE);
    const n = trees * treeSize;
    this.#left = new Int32Array(n);
    this.#right = new Int32Array(n);
    this.#parent = new Int32Array(n);
    this.#dim = new Uint8Array(n);
    this.#cut = new Float64Array(n);
    this.#count = new Int32Array(n);
    this.#lo = new Float64Array(n * dims);
    this.#hi = new Float64Array(n * dims);
    this.#free = new Int32Array(n);
    for (let t = 0; t < trees; t++) {
      for (let i = 0; i < treeSize; i++) this.#free[t * treeSize + i] = treeSize - 1 - i;
    }
    this.#freeTop = new Int32Array(trees).fill(treeSize);
    this.#p = new Float64Array(dims);
    this.#span = new Float64Array(dims);
  }

  /** Bytes held in typed arrays (the in-memory state). */
  get bytes(): number {
    let b = 0;
    for (const a of [
      this.#points,
      this.#pointLeaf,
      this.#leafPoint,
      this.#leafCount,
      this.#leafFree,
      this.#root,
      this.#leafParent,
      this.#left,
      this.#right,
      this.#parent,
      this.#dim,
      this.#cut,
      this.#count,
      this.#lo,
      this.#hi,
      this.#free,
      this.#freeTop,
    ]) {
      b += a.byteLength;
    }
    return b;
  }

  /**
   * The trees in a canonical form: each in preorder, one byte per node (the cut dimension, or
   * LEAF) and one cut per internal node. Node and leaf numbering is left out: with the sample's
   * points it is rebuilt by `restore`, and the forest then behaves identically.
   */
  encodeTrees(): { dims: Uint8Array; cuts: Float64Array } {
    const S = this.treeSize;
    const dims: number[] = [];
    const cuts: number[] = [];
    const stack: number[] = [];
    for (let t = 0; t < this.trees; t++) {
      if (this.#root[t] === EMPTY) continue;
      stack.push(this.#root[t]!);
      while (stack.length > 0) {
        const ref = stack.pop()!;
        if (ref < 0) {
          dims.push(LEAF);
          continue;
        }
        const node = t * S + ref;
        dims.push(this.#dim[node]!);
        cuts.push(this.#cut[node]!);
        stack.push(this.#right[node]!, this.#left[node]!);
      }
    }
    return { dims: Uint8Array.from(dims), cuts: Float64Array.from(cuts) };
  }

  /**
   * Rebuilds a forest from `encodeTrees`, the generator state, the sample's points (oldest first,
   * `dims` values each) and the sequence number of the next point.
   */
  static restore(
    shape: ForestShape,
    rng: ArrayLike<number>,
    points: Float64Array,
    seq: number,
    trees: { dims: Uint8Array; cuts: Float64Array },
  ): Forest {
    const f = new Forest(shape, 0);
    f.rng.setState(rng);
    f.#restore(points, seq, trees);
    return f;
  }

  #restore(points: Float64Array, seq: number, trees: { dims: Uint8Array; cuts: Float64Array }): void {
    const d = this.dims;
    const n = points.length / d;
    const ring = this.#ring;
    this.seq = seq;
    this.size = n;
    // Points into the ring; duplicates share a leaf whose representative is the newest.
    const byValue = new Map<string, number>();
    const leaves: number[] = [];
    for (let i = 0; i < n; i++) {
      const slot = (seq - n + i) % ring;
      const pt = points.subarray(i * d, (i + 1) * d);
      this.#points.set(pt, slot * d);
      const key = pt.join(',');
      const k = byValue.get(key);
      if (k === undefined) {
        const nk = this.#newLeaf(slot);
        byValue.set(key, nk);
        leaves.push(nk);
      } else {
        this.#addDuplicateAt(k, slot);
      }
    }
    let di = 0;
    let ci = 0;
    const S = this.treeSize;
    for (let t = 0; t < this.trees && n > 0; t++) {
      const base = t * S;
      // Preorder rebuild; leaf positions are holes (EMPTY) filled by descending each leaf's point.
      const stack: [number, boolean][] = [];
      let root = EMPTY;
      const attach = (parent: number, isLeft: boolean, ref: number): void => {
        if (parent === NONE) root = ref;
        else if (isLeft) this.#left[base + parent] = ref;
        else this.#right[base + parent] = ref;
      };
      let parent = NONE;
      let isLeft = true;
      for (;;) {
        const dim = trees.dims[di++]!;
        if (dim === LEAF) {
          attach(parent, isLeft, EMPTY);
          if (stack.length === 0) break;
          [parent, isLeft] = stack.pop()!;
          continue;
        }
        const i = this.#free[base + --this.#freeTop[t]!]!;
        this.#dim[base + i] = dim;
        this.#cut[base + i] = trees.cuts[ci++]!;
        this.#parent[base + i] = parent;
        attach(parent, isLeft, i);
        stack.push([i, false]);
        parent = i;
        isLeft = true;
      }
      for (const k of leaves) {
        const po = this.#leafPoint[k]! * d;
        let ref = root;
        let at = NONE;
        let left = true;
        while (ref >= 0 && ref !== EMPTY) {
          at = ref;
          left = this.#points[po + this.#dim[base + ref]!]! <= this.#cut[base + ref]!;
          ref = left ? this.#left[base + ref]! : this.#right[base + ref]!;
        }
        attach(at, left, ~k);
        this.#leafParent[t * ring + k] = at;
      }
      this.#root[t] = root;
      if (root >= 0) this.#fit(t, root);
    }
  }

  /** Counts and boxes of the subtree at internal node i, bottom-up. */
  #fit(t: number, i: number): number {
    const base = t * this.treeSize;
    const node = base + i;
    let c = 0;
    for (const child of [this.#left[node]!, this.#right[node]!]) {
      c += child >= 0 ? this.#fit(t, child) : this.#leafCount[~child]!;
    }
    this.#count[node] = c;
    const o = node * this.dims;
    this.#lo.fill(Number.POSITIVE_INFINITY, o, o + this.dims);
    this.#hi.fill(Number.NEGATIVE_INFINITY, o, o + this.dims);
    this.#refit(t, i);
    return c;
  }

  /** Coordinate j of the i-th oldest point in the sample. */
  pointValue(i: number, j: number): number {
    return this.#points[((this.seq - this.size + i) % this.#ring) * this.dims + j]!;
  }

  /** The CoDisp `insert(point)` would return, averaged over trees; changes nothing. */
  codisp(point: ArrayLike<number>): number {
    if (this.size === 0) return 0;
    this.#p.set(point as ArrayLike<number>);
    const rng = this.#dry.copyFrom(this.rng);
    let sum = 0;
    this.#leaf = NONE;
    for (let t = 0; t < this.trees; t++) sum += this.#walk(t, rng, false);
    return sum / this.trees;
  }

  /** Inserts `point` into every tree; returns its CoDisp averaged over trees. */
  insert(point: ArrayLike<number>): number {
    const d = this.dims;
    const slot = this.seq % this.#ring;
    this.#points.set(point as ArrayLike<number>, slot * d);
    this.#p.set(point as ArrayLike<number>);
    this.seq++;
    this.size++;
    if (this.size === 1) {
      const k = this.#newLeaf(slot);
      for (let t = 0; t < this.trees; t++) {
        this.#root[t] = ~k;
        this.#leafParent[t * this.#ring + k] = NONE;
      }
      return 0;
    }
    let sum = 0;
    this.#leaf = NONE;
    this.#duplicate = false;
    for (let t = 0; t < this.trees; t++) sum += this.#walk(t, this.rng, true);
    // A duplicate's multiplicity rises after every tree has used the old one for its ratios.
    if (this.#duplicate) this.#addDuplicate(this.#leaf);
    return sum / this.trees;
  }

  /** Drops the oldest point from every tree. */
  forgetOldest(): void {
    if (this.size === 0) return;
    const slot = (this.seq - this.size) % this.#ring;
    const k = this.#pointLeaf[slot]!;
    this.#pointLeaf[slot] = NONE;
    this.size--;
    const ring = this.#ring;
    const S = this.treeSize;
    const count = this.#count;
    if (this.#leafCount[k]! > 1) {
      this.#leafCount[k]!--;
      for (let t = 0; t < this.trees; t++) {
        for (let i = this.#leafParent[t * ring + k]!; i !== NONE; i = this.#parent[t * S + i]!)
          count[t * S + i]!--;
      }
      return;
    }
    for (let t = 0; t < this.trees; t++) this.#removeLeaf(t, k);
    this.#leafCount[k] = 0;
    this.#leafFree[this.#leafFreeTop++] = k;
  }

  /** One tree's insertion walk; returns the point's CoDisp in it. `commit` false: read-only. */
  #walk(t: number, rng: Prng, commit: boolean): number {
    const d = this.dims;
    const S = this.treeSize;
    const base = t * S;
    const p = this.#p;
    const lo = this.#lo;
    const hi = this.#hi;
    const points = this.#points;
    const count = this.#count;
    const leafCount = this.#leafCount;
    let ref = this.#root[t]!;
    let parent = NONE;
    let best = 0;
    for (;;) {
      // The box of `ref`: an internal node's box, or a leaf's point.
      let boxLo: Float64Array;
      let boxHi: Float64Array;
      let o: number;
      if (ref >= 0) {
        boxLo = lo;
        boxHi = hi;
        o = (base + ref) * d;
      } else {
        boxLo = points;
        boxHi = points;
        o = this.#leafPoint[~ref]! * d;
      }
      let outside = false;
      for (let j = 0; j < d; j++) {
        if (p[j]! < boxLo[o + j]! || p[j]! > boxHi[o + j]!) {
          outside = true;
          break;
        }
      }
      if (outside) {
        const cutDim = this.#drawCut(rng, boxLo, boxHi, o);
        let cut = this.#cutValue;
        const bl = boxLo[o + cutDim]!;
        const bh = boxHi[o + cutDim]!;
        const pj = p[cutDim]!;
        let separated = pj < bl ? cut < bl : pj > bh && cut >= bh && cut < pj;
        if (!separated && ref < 0) {
          // Only rounding can fail to separate two distinct points on a dimension where they differ.
          cut = pj < bl ? pj : bh;
          separated = true;
        }
        if (separated) {
          const c = ref >= 0 ? count[base + ref]! : leafCount[~ref]!;
          if (c > best) best = c;
          if (commit) this.#link(t, ref, parent, cutDim, cut);
          return best;
        }
        if (commit) {
          for (let j = 0; j < d; j++) {
            if (p[j]! < lo[o + j]!) lo[o + j] = p[j]!;
            else if (p[j]! > hi[o + j]!) hi[o + j] = p[j]!;
          }
        }
      } else if (ref < 0) {
        // An exact duplicate: its leaf gains multiplicity (once, in `insert`).
        this.#leaf = ~ref;
        this.#duplicate = true;
        return best;
      }
      const node = base + ref;
      const pLeft = p[this.#dim[node]!]! <= this.#cut[node]!;
      const child = pLeft ? this.#left[node]! : this.#right[node]!;
      const sib = pLeft ? this.#right[node]! : this.#left[node]!;
      const cc = child >= 0 ? count[base + child]! : leafCount[~child]!;
      const sc = sib >= 0 ? count[base + sib]! : leafCount[~sib]!;
      const ratio = sc / (cc + 1);
      if (ratio > best) best = ratio;
      if (commit) count[node]!++;
      parent = ref;
      ref = child;
    }
  }

  /**
   * Draws a cut over the box (at offset `o` of boxLo/boxHi) merged with the point: the dimension
   * with probability ∝ its span, the value uniform in it. Returns the dimension; the value is left
   * in #cutValue. Spans that would overflow are scaled down first (detectors clamp values to
   * ±1e306, so this is a guard).
   */
  #drawCut(rng: Prng, boxLo: Float64Array, boxHi: Float64Array, o: number): number {
    const d = this.dims;
    const p = this.#p;
    const span = this.#span;
    let total = 0;
    let scale = 1;
    for (let j = 0; j < d; j++) {
      const a = Math.min(p[j]!, boxLo[o + j]!);
      const b = Math.max(p[j]!, boxHi[o + j]!);
      span[j] = b - a;
      total += b - a;
    }
    if (!(total < Number.POSITIVE_INFINITY)) {
      scale = 8;
      total = 0;
      for (let j = 0; j < d; j++) {
        const a = Math.min(p[j]!, boxLo[o + j]!);
        const b = Math.max(p[j]!, boxHi[o + j]!);
        span[j] = b / scale - a / scale;
        total += span[j]!;
      }
    }
    const r = rng.next() * total;
    let acc = 0;
    let j = 0;
    // The first dimension whose cumulative span exceeds r: never one of zero span.
    for (; j < d - 1; j++) {
      if (acc + span[j]! > r) break;
      acc += span[j]!;
    }
    while (span[j] === 0 && j > 0) j--;
    const a = Math.min(p[j]!, boxLo[o + j]!);
    const b = Math.max(p[j]!, boxHi[o + j]!);
    let cut = a + (r - acc) * scale;
    if (!(cut <= b)) cut = b;
    if (cut < a) cut = a;
    this.#cutValue = cut;
    return j;
  }

  /** Puts the new point's leaf beside `ref` under a new internal node with the given cut. */
  #link(t: number, ref: number, parent: number, cutDim: number, cut: number): void {
    const d = this.dims;
    const S = this.treeSize;
    const base = t * S;
    const ring = this.#ring;
    const p = this.#p;
    if (this.#leaf === NONE) this.#leaf = this.#newLeaf((this.seq - 1) % ring);
    const leaf = this.#leaf;
    const n = this.#free[base + --this.#freeTop[t]!]!;
    const node = base + n;
    const leafRef = ~leaf;
    if (p[cutDim]! <= cut) {
      this.#left[node] = leafRef;
      this.#right[node] = ref;
    } else {
      this.#left[node] = ref;
      this.#right[node] = leafRef;
    }
    this.#dim[node] = cutDim;
    this.#cut[node] = cut;
    this.#count[node] = (ref >= 0 ? this.#count[base + ref]! : this.#leafCount[~ref]!) + 1;
    const o = node * d;
    if (ref >= 0) {
      const so = (base + ref) * d;
      for (let j = 0; j < d; j++) {
        this.#lo[o + j] = Math.min(this.#lo[so + j]!, p[j]!);
        this.#hi[o + j] = Math.max(this.#hi[so + j]!, p[j]!);
      }
      this.#parent[base + ref] = n;
    } else {
      const so = this.#leafPoint[~ref]! * d;
      for (let j = 0; j < d; j++) {
        this.#lo[o + j] = Math.min(this.#points[so + j]!, p[j]!);
        this.#hi[o + j] = Math.max(this.#points[so + j]!, p[j]!);
      }
      this.#leafParent[t * ring + ~ref] = n;
    }
    this.#leafParent[t * ring + leaf] = n;
    this.#parent[node] = parent;
    if (parent === NONE) this.#root[t] = n;
    else if (this.#left[base + parent] === ref) this.#left[base + parent] = n;
    else this.#right[base + parent] = n;
  }

  #newLeaf(slot: number): number {
    const k = this.#leafFree[--this.#leafFreeTop]!;
    this.#leafPoint[k] = slot;
    this.#leafCount[k] = 1;
    this.#pointLeaf[slot] = k;
    return k;
  }

  #addDuplicate(k: number): void {
    this.#addDuplicateAt(k, (this.seq - 1) % this.#ring);
  }

  #addDuplicateAt(k: number, slot: number): void {
    this.#leafCount[k]!++;
    this.#leafPoint[k] = slot;
    this.#pointLeaf[slot] = k;
  }

  /** Removes leaf k (multiplicity 1) from tree t: its sibling takes its parent's place. */
  #removeLeaf(t: number, k: number): void {
    const d = this.dims;
    const S = this.treeSize;
    const base = t * S;
    const ring = this.#ring;
    const pn = this.#leafParent[t * ring + k]!;
    this.#leafParent[t * ring + k] = NONE;
    if (pn === NONE) {
      this.#root[t] = EMPTY;
      return;
    }
    const pNode = base + pn;
    const sib = this.#left[pNode] === ~k ? this.#right[pNode]! : this.#left[pNode]!;
    const g = this.#parent[pNode]!;
    if (sib >= 0) this.#parent[base + sib] = g;
    else this.#leafParent[t * ring + ~sib] = g;
    if (g === NONE) this.#root[t] = sib;
    else if (this.#left[base + g] === pn) this.#left[base + g] = sib;
    else this.#right[base + g] = sib;
    this.#free[base + this.#freeTop[t]!++] = pn;
    // Counts fall all the way up; boxes shrink only while they change.
    const po = this.#leafPoint[k]! * d;
    let boxes = true;
    for (let i = g; i !== NONE; i = this.#parent[base + i]!) {
      const node = base + i;
      this.#count[node]!--;
      if (boxes) boxes = this.#onBoundary(node * d, po) && this.#refit(t, i);
    }
  }

  /** Whether the removed point (at `po`) lies on the box at `o` (else the box cannot shrink). */
  #onBoundary(o: number, po: number): boolean {
    for (let j = 0; j < this.dims; j++) {
      const x = this.#points[po + j]!;
      if (x === this.#lo[o + j] || x === this.#hi[o + j]) return true;
    }
    return false;
  }

  /** Recomputes node i's box from its children; returns whether it changed. */
  #refit(t: number, i: number): boolean {
    const d = this.dims;
    const base = t * this.treeSize;
    const node = base + i;
    const o = node * d;
    const l = this.#left[node]!;
    const r = this.#right[node]!;
    const lLo = l >= 0 ? this.#lo : this.#points;
    const lHi = l >= 0 ? this.#hi : this.#points;
    const lo1 = l >= 0 ? (base + l) * d : this.#leafPoint[~l]! * d;
    const rLo = r >= 0 ? this.#lo : this.#points;
    const rHi = r >= 0 ? this.#hi : this.#points;
    const ro = r >= 0 ? (base + r) * d : this.#leafPoint[~r]! * d;
    let changed = false;
    for (let j = 0; j < d; j++) {
      const a = Math.min(lLo[lo1 + j]!, rLo[ro + j]!);
      const b = Math.max(lHi[lo1 + j]!, rHi[ro + j]!);
      if (a !== this.#lo[o + j] || b !== this.#hi[o + j]) changed = true;
      this.#lo[o + j] = a;
      this.#hi[o + j] = b;
    }
    return changed;
  }
}
