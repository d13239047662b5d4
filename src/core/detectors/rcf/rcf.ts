/**
 * Streaming robust random cut forest with shingling, rrcf's README streaming recipe: every
 * point (the last `shingleSize` values) goes into every tree; once a tree holds more than
 * `treeSize` points the oldest is forgotten (FIFO; the README's own loop never forgets its first
 * point, an off-by-one not copied here). The raw score is the point's collusive
 * displacement (CoDisp) averaged over the trees, computed as if the point were inserted (rrcf
 * inserts, then asks codisp), using the state before the point.
 *
 * Score in [0, 1]: log₂(1 + CoDisp) / log₂(1 + treeSize). CoDisp is at most treeSize (an isolated
 * point beside treeSize others), so the map is monotone and reaches 1 exactly there; the log keeps
 * resolution for the usual values (1–20) that a linear map would squeeze near 0. NAB's own RCF run
 * divided its score by log₂ 256 in the same spirit. Scores are 0 until `warmup` points are in the
 * forest and while the first shingle fills.
 *
 * NAB mode and strict mode are the same here: random cuts scale with the data, so no min/max is
 * needed. `hints.seed` (else `seed`) seeds the forest.
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import type { Score } from '../../point.ts';
import {
  DEFAULT_AFTERGLOW,
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
} from '../detector.ts';
import { base64ToBytes, base64ToFloat64, bytesToBase64, float64ToBase64 } from '../state-codec.ts';
import { Forest } from './forest.ts';

export const RcfParams = Type.Object(
  {
    trees: Type.Integer({ minimum: 1, maximum: 1000, default: 40, description: 'number of trees' }),
    treeSize: Type.Integer({
      minimum: 4,
      maximum: 16384,
      default: 256,
      description: 'points each tree keeps (FIFO window)',
    }),
    shingleSize: Type.Integer({
      minimum: 1,
      maximum: 64,
      default: 4,
      description: 'consecutive values per point',
    }),
    warmup: Type.Integer({
      minimum: 0,
      default: 32,
      description: 'points in the forest before scores are non-zero',
    }),
    seed: Type.Integer({ default: 42, description: 'PRNG seed (hints.seed overrides)' }),
  },
  { additionalProperties: false },
);
export interface RcfParams {
  trees: number;
  treeSize: number;
  shingleSize: number;
  warmup: number;
  seed: number;
}

interface RcfData {
  /** Values seen (finite ones), and the last values needed to rebuild the sample and the shingle. */
  n: number;
  values: string;
  seq: number;
  rng: number[];
  dims: string;
  cuts: string;
}

export class RcfDetector implements Detector {
  readonly #params: RcfParams;
  readonly #forest: Forest;
  readonly #shingle: Float64Array;
  readonly #point: Float64Array;
  /** Finite values seen. */
  #n = 0;
  readonly #norm: number;

  constructor(params: RcfParams, hints: DetectorHints = {}, data?: RcfData) {
    this.#params = params;
    const shape = { trees: params.trees, treeSize: params.treeSize, dims: params.shingleSize };
    this.#shingle = new Float64Array(params.shingleSize);
    this.#point = new Float64Array(params.shingleSize);
    this.#norm = 1 / Math.log2(1 + params.treeSize);
    if (data) {
      const values = base64ToFloat64(data.values);
      this.#n = data.n;
      const d = params.shingleSize;
      const size = Math.max(0, values.length - d + 1);
      const points = new Float64Array(size * d);
      for (let i = 0; i < size; i++) points.set(values.subarray(i, i + d), i * d);
      this.#forest = Forest.restore(shape, data.rng, points, data.seq, {
        dims: base64ToBytes(data.dims),
        cuts: base64ToFloat64(data.cuts),
      });
      const tail = values.subarray(Math.max(0, values.length - d));
      this.#shingle.set(tail, d - tail.length);
    } else {
      this.#forest = new Forest(shape, hints.seed ?? params.seed);
    }
  }

  score(_ts: number, value: number): Score {
    if (!this.#next(value)) return out(0);
    return out(this.#map(this.#forest.codisp(this.#point)));
  }

  update(_ts: number, value: number): void {
    this.#learn(value);
  }

  step(_ts: number, value: number): Score {
    return out(this.#learn(value));
  }

  snapshot(): DetectorState {
    const f = this.#forest;
    const d = this.#params.shingleSize;
    const values = this.#window(f.size > 0 ? f.size + d - 1 : Math.min(this.#n, d));
    const trees = f.encodeTrees();
    const data: RcfData = {
      n: this.#n,
      values: float64ToBase64(values),
      seq: f.seq,
      rng: f.rng.state(),
      dims: bytesToBase64(trees.dims),
      cuts: float64ToBase64(trees.cuts),
    };
    return { detector: 'rcf', version: 1, data };
  }

  /** Bytes of the in-memory model (typed arrays). */
  get memoryBytes(): number {
    return this.#forest.bytes + this.#shingle.byteLength + this.#point.byteLength;
  }

  /** The last `count` raw values: the sample's points overlap, so they are a run of values. */
  #window(count: number): Float64Array {
    const f = this.#forest;
    const d = this.#params.shingleSize;
    const out = new Float64Array(count);
    if (count === 0) return out;
    // The newest `d` values are in the shingle; older ones are the first coordinates of the
    // sample's points, oldest first.
    const fromShingle = Math.min(count, d);
    out.set(this.#shingle.subarray(d - fromShingle), count - fromShingle);
    const older = count - fromShingle;
    const first = f.size - older - 1;
    for (let i = 0; i < older; i++) out[i] = f.pointValue(first + i, 0);
    return out;
  }

  /** Shifts `value` into the candidate point; false when it is not finite or the shingle is short. */
  #next(value: number): boolean {
    if (!Number.isFinite(value)) return false;
    const d = this.#params.shingleSize;
    this.#point.set(this.#shingle.subarray(1));
    // ±1e306 at most, so that spans of a box stay finite (math/finite.ts).
    this.#point[d - 1] = tame(value);
    return this.#n + 1 >= d;
  }

  #learn(value: number): number {
    const ready = this.#next(value);
    if (!Number.isFinite(value)) return 0;
    this.#shingle.set(this.#point);
    this.#n++;
    if (!ready) return 0;
    const f = this.#forest;
    const scored = f.size >= this.#params.warmup;
    const c = f.insert(this.#point);
    if (f.size > this.#params.treeSize) f.forgetOldest();
    return scored ? this.#scale(c) : 0;
  }

  #map(codisp: number): number {
    return this.#forest.size >= this.#params.warmup ? this.#scale(codisp) : 0;
  }

  #scale(codisp: number): number {
    const s = Math.log2(1 + codisp) * this.#norm;
    return Math.min(s, 1);
  }
}

function out(score: number): Score {
  return { score, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
}

const DEFAULTS: RcfParams = { trees: 40, treeSize: 256, shingleSize: 4, warmup: 32, seed: 42 };

export const rcf: DetectorFactory<RcfParams> = {
  name: 'rcf',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'Streaming robust random cut forest with shingling; CoDisp averaged over trees (rrcf recipe).',
  params: RcfParams,
  defaults: DEFAULTS,
  // Base64 of, per tree, a preorder byte per node (≤ 2S − 1) and a cut per internal node (≤ S − 1),
  // plus the S + D − 1 values behind the sample: 138,816 bytes at the defaults.
  maxStateBytes:
    Math.ceil(
      (4 / 3) *
        (DEFAULTS.trees * (2 * DEFAULTS.treeSize - 1 + 8 * (DEFAULTS.treeSize - 1)) +
          8 * (DEFAULTS.treeSize + DEFAULTS.shingleSize - 1)),
    ) + 512,
  create(params, state, hints) {
    return new RcfDetector(params, hints, state?.data as RcfData | undefined);
  },
};
