/**
 * ARTime: adaptive-resonance anomaly detection on a downsampled, quantised signal (M. Hampton,
 * NAB's top detector), implemented from /work/shared/research/detectors.md §1. A downsampled step's
 * 8-step shape (Haar features plus levels) is presented to a dual-vigilance fuzzy ART clusterer;
 * a step that resonates with no category is an anomaly, scored by a confidence in (0, 1] rounded
 * to 6 decimals. Almost every output is 0. Given NAB's inputs (file min/max and probation P) the
 * outputs equal NAB's stored ARTime results row for row.
 *
 * NAB mode vs strict mode. NAB hands the detector the file's min/max and probation P
 * (`hints.min`/`max`/`probationaryLength`); then the range is fixed and categories are never
 * dropped, exactly as ARTime. Without hints (production):
 * - the range is the min/max of the probation's downsampled picks widened by `rangeMargin` of
 *   their span on each side (nothing is emitted during probation in either mode, so deferring it
 *   costs no output); a later pick outside widens the range past the pick by `rangeMargin` of the
 *   distance to the far end, and every level held in state (histogram, median, window, the
 *   categories' level weights) is rescaled to the new range;
 * - P is the `probation` param, 200 by default: below 208 there is no downsampling (SS = 1), so
 *   a score lands on the point that caused it. (NAB's long files get SS = 7.) Measured on NAB in
 *   strict mode, 200 scored 61.6 standard against 58.9 for 750;
 * - categories are capped at `maxCategories`; a new one then replaces the category that
 *   resonated least recently, which keeps the state bounded (ARTime's categories only grow).
 *
 * Cost: O(categories) per downsampled step. `score` alone (without `step`) evaluates on a copy at
 * downsampled steps; engines call `step`.
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
import { Dvfa, type DvfaData, FEATURES } from './dvfa.ts';
import { type EncoderData, LevelEncoder, roundHalfEven, WIN } from './encoder.ts';

export const ArtimeParams = Type.Object(
  {
    probation: Type.Integer({
      minimum: 32,
      default: 200,
      description: 'strict mode: probationary length in points (NAB mode takes the harness value)',
    }),
    rangeMargin: Type.Number({
      minimum: 0,
      default: 0.1,
      description: 'strict mode: margin added to the estimated value range, as a fraction of its span',
    }),
    maxCategories: Type.Integer({
      minimum: 16,
      default: 512,
      description: 'strict mode: cap on stored categories, then the least recently resonating is replaced',
    }),
  },
  { additionalProperties: false },
);
export interface ArtimeParams {
  probation: number;
  rangeMargin: number;
  maxCategories: number;
}

const WPP = 13;
const MASK = 12;
const INITIAL_RHO = 0.8;
const NO_BAND = Number.NaN;

interface ArtimeData {
  p: number;
  fixedRange: [number, number] | null;
  t: number;
  fifo: number[];
  ma: number;
  d: number;
  picks: number[] | null;
  encoder: EncoderData | null;
  dvfa: DvfaData | null;
  detect: DetectData | null;
}

interface DetectData {
  lastAnomI: number;
  lastAnomSim: number;
  lastRhoI: number;
  maskAfterCat: boolean;
  noNewCat: number;
  anomSum: number;
  anomLast: number;
  anomCount: number;
  meanA: number;
  nA: number;
  simWin: number[];
  simDiff: number[];
}

export class ArtimeDetector implements Detector {
  readonly #params: ArtimeParams;
  /** NAB's probation P (as given), and the derived ARTime sizes. */
  readonly #p: number;
  readonly #ss: number;
  readonly #tw: number;
  readonly #fixedRange: [number, number] | null;
  #t = 0;
  /** The last SS raw values, oldest first. */
  readonly #fifo: Float64Array;
  #ma = 0;
  #d = 0;
  /** Downsampled picks of the probation, until the range is known. */
  #picks: number[] | null = [];
  #encoder: LevelEncoder | null = null;
  #dvfa: Dvfa | null = null;
  #det: DetectData | null = null;
  readonly #f = new Float64Array(FEATURES);

  constructor(params: ArtimeParams, hints: DetectorHints = {}, data?: ArtimeData) {
    this.#params = params;
    this.#p = data?.p ?? Math.max(32, hints.probationaryLength ?? params.probation);
    ({ ss: this.#ss, tw: this.#tw } = artimeSizes(this.#p));
    const { min, max } = hints;
    this.#fixedRange =
      data !== undefined
        ? data.fixedRange
        : min !== undefined && max !== undefined
          ? [tame(min), tame(max)]
          : null;
    this.#fifo = new Float64Array(this.#ss);
    if (data) this.#restore(data);
  }

  score(ts: number, value: number): Score {
    if (!Number.isFinite(value) || (this.#t + 1) % this.#ss !== 0 || this.#d + 1 <= this.#tw) return out(0);
    return this.#copy().step(ts, value);
  }

  update(ts: number, value: number): void {
    this.step(ts, value);
  }

  step(_ts: number, value: number): Score {
    // Non-finite values carry no level; skip them rather than poison the range. Clamping to
    // ±1e306 keeps sums and spans of values finite (math/finite.ts).
    if (!Number.isFinite(value)) return out(0);
    value = tame(value);
    const ss = this.#ss;
    const fifo = this.#fifo;
    // A loop, not copyWithin: the builtin's call costs more than moving a few values.
    for (let i = 1; i < ss; i++) fifo[i - 1] = fifo[i]!;
    fifo[ss - 1] = value;
    this.#t++;
    if (this.#t % ss !== 0) return out(0);
    const d = ++this.#d;
    const pick = this.#pick(d);
    if (d <= this.#tw) {
      this.#picks!.push(pick);
      if (d === this.#tw) this.#startUp();
      return out(0);
    }
    this.#encoder!.encode(pick, this.#f);
    return out(this.#detect(this.#f, d));
  }

  snapshot(): DetectorState {
    return { detector: 'artime', version: 1, data: this.#data() };
  }

  /** Spike-preserving pick over the FIFO (detectors.md §1.2, step 2). */
  #pick(d: number): number {
    const fifo = this.#fifo;
    let sum = 0;
    let hi = fifo[0]!;
    let lo = fifo[0]!;
    for (let i = 0; i < fifo.length; i++) {
      const x = fifo[i]!;
      sum += x;
      if (x > hi) hi = x;
      if (x < lo) lo = x;
    }
    const m = sum / fifo.length;
    if (d === 1) this.#ma = m;
    this.#ma = (this.#ma + m) / 2;
    let v = Math.abs(hi - this.#ma) < Math.abs(lo - this.#ma) ? lo : hi;
    if (Math.abs(v - m) < 0.1 * m) v = m;
    return v;
  }

  /** End of probation: fix the range, encode the stored picks, set vigilance, replay them. */
  #startUp(): void {
    const picks = this.#picks!;
    let lo: number;
    let hi: number;
    if (this.#fixedRange) {
      [lo, hi] = this.#fixedRange;
    } else {
      lo = Math.min(...picks);
      hi = Math.max(...picks);
      const margin = this.#params.rangeMargin * (hi - lo);
      lo -= margin;
      hi += margin;
    }
    const encoder = new LevelEncoder(lo, hi, this.#params.rangeMargin);
    const tw = this.#tw;
    const feats = new Float64Array(tw * FEATURES);
    for (let j = 0; j < tw; j++) encoder.encode(picks[j]!, feats.subarray(j * FEATURES, (j + 1) * FEATURES));
    const rho = initRho(feats.subarray((WIN - 1) * FEATURES), tw);
    const dvfa = new Dvfa(rho, rho, this.#capacity());
    encoder.onRemap = (a, b) => dvfa.remapLevels(a, b);
    this.#encoder = encoder;
    this.#dvfa = dvfa;
    this.#picks = null;
    this.#det = {
      lastAnomI: 0,
      lastAnomSim: 0,
      lastRhoI: 0,
      maskAfterCat: false,
      noNewCat: 0,
      anomSum: 0,
      anomLast: 0,
      anomCount: 0,
      meanA: 0,
      nA: 0,
      simWin: new Array<number>(Math.floor(tw / 2) + 1).fill(1),
      simDiff: new Array<number>(tw + 1).fill(0),
    };
    for (let j = 1; j <= tw; j++) this.#detect(feats.subarray((j - 1) * FEATURES, j * FEATURES), j);
  }

  /** detectors.md §1.5: present, mask, decide, adapt the vigilances. Returns the output. */
  #detect(f: Float64Array, i: number): number {
    const s = this.#det!;
    const dvfa = this.#dvfa!;
    const tw = this.#tw;
    const updAfter = i - s.lastAnomI === MASK;
    const updTrend = i - s.lastRhoI >= Math.floor(tw / 2);
    const maskAfterAnom = i - s.lastAnomI <= MASK;
    if (i > tw + MASK && s.maskAfterCat && s.noNewCat >= MASK) s.maskAfterCat = false;
    let cat: number;
    if (i < WIN) {
      dvfa.present(f, false);
      cat = -1;
    } else {
      cat = dvfa.present(f, true);
    }
    s.noNewCat = cat === -1 ? 0 : s.noNewCat + 1;
    const a = dvfa.best;
    const ae = dvfa.bestE;
    s.nA++;
    s.meanA += (a - s.meanA) / s.nA;
    s.simWin.shift();
    s.simWin.push(a);
    s.simDiff.shift();
    s.simDiff.push(dvfa.ub - a);
    if (i - s.lastAnomI < MASK && s.anomCount > 0) s.anomLast = Math.min(s.anomLast, a);
    const masking = s.maskAfterCat || maskAfterAnom;
    const belowLast = a < s.lastAnomSim * (maskAfterAnom ? 0.9 : 0.7);
    let output = 0;
    if (i > tw && cat === -1 && (!masking || belowLast)) {
      output = confidence(a, ae, dvfa.lb, dvfa.ub);
      if (s.anomCount > 0) s.anomSum += s.anomLast;
      s.anomLast = a;
      s.anomCount++;
      s.lastAnomSim = a;
      s.lastAnomI = i;
    }
    s.maskAfterCat = s.maskAfterCat || cat === -1;
    if (i > tw && (updAfter || updTrend)) {
      const newUb = Math.min(0.97, s.meanA);
      const minSim = Math.min(...s.simWin);
      let newLb: number;
      if (dvfa.lb <= minSim) {
        newLb = dvfa.lb + 0.19 * (minSim - dvfa.lb);
      } else {
        let decr = 0;
        if (i > 2 * tw) {
          let sum = 0;
          let n = 0;
          for (const x of s.simDiff) {
            if (x > 0.05) {
              sum += Math.min(0.37, x);
              n++;
            }
          }
          if (n > 0) decr = sum / n;
        }
        decr = Math.max(0.01, decr);
        newLb = dvfa.lb - decr / 2;
        if (s.anomCount > 0) newLb = Math.max((s.anomSum + s.anomLast) / s.anomCount, newLb);
      }
      dvfa.lb = Math.min(newUb, newLb);
      dvfa.ub = newUb;
      s.lastRhoI = i;
      s.maskAfterCat = true;
    }
    return output;
  }

  /** The state as data; `light` leaves out the clusterer and encoder (for `#copy`). */
  #data(light = false): ArtimeData {
    const det = this.#det;
    return {
      p: this.#p,
      fixedRange: this.#fixedRange,
      t: this.#t,
      fifo: Array.from(this.#fifo),
      ma: this.#ma,
      d: this.#d,
      picks: this.#picks ? [...this.#picks] : null,
      encoder: light ? null : (this.#encoder?.toJSON() ?? null),
      dvfa: light ? null : (this.#dvfa?.toJSON() ?? null),
      detect: det ? { ...det, simWin: [...det.simWin], simDiff: [...det.simDiff] } : null,
    };
  }

  #restore(data: ArtimeData): void {
    this.#t = data.t;
    this.#fifo.set(data.fifo);
    this.#ma = data.ma;
    this.#d = data.d;
    this.#picks = data.picks ? [...data.picks] : null;
    if (data.detect) {
      const det = data.detect;
      this.#det = { ...det, simWin: [...det.simWin], simDiff: [...det.simDiff] };
    }
    if (data.dvfa && data.encoder) {
      const dvfa = new Dvfa(0, 0, this.#capacity(), data.dvfa);
      this.#dvfa = dvfa;
      this.#encoder = new LevelEncoder(0, 0, this.#params.rangeMargin, data.encoder);
      this.#encoder.onRemap = (a, b) => dvfa.remapLevels(a, b);
    }
  }

  /** Categories kept: unbounded in NAB mode (as ARTime; NAB files are finite), capped in strict mode. */
  #capacity(): number {
    return this.#fixedRange ? Number.POSITIVE_INFINITY : this.#params.maxCategories;
  }

  /** A copy that shares nothing mutable, built without a JSON round trip. */
  #copy(): ArtimeDetector {
    const c = new ArtimeDetector(this.#params, {}, { ...this.#data(true) });
    if (this.#dvfa && this.#encoder) {
      const dvfa = this.#dvfa.clone();
      const encoder = this.#encoder.clone();
      encoder.onRemap = (a, b) => dvfa.remapLevels(a, b);
      c.#dvfa = dvfa;
      c.#encoder = encoder;
    }
    return c;
  }
}

/**
 * ARTime's sizes for probation P (detectors.md §1.1): P made even, the downsampling step SS, and
 * the trend window TW in downsampled steps.
 */
export function artimeSizes(p: number): { ss: number; tw: number } {
  const pp = p - (p % 2);
  const ss = Math.max(1, Math.floor(pp / (WIN * WPP)));
  return { ss, tw: Math.floor(pp / ss) };
}

/**
 * Initial vigilance from the probation's feature columns: order them from least to most typical
 * (by summed cosine similarity), train a fresh DVFA on them, and average its best matches over
 * the second part of that run.
 */
function initRho(cols: Float64Array, tw: number): number {
  const k = cols.length / FEATURES;
  const norms = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let s = 0;
    for (let i = 0; i < FEATURES; i++) s += cols[j * FEATURES + i]! * cols[j * FEATURES + i]!;
    norms[j] = Math.sqrt(s);
  }
  // similarity(i, j) is similarity(j, i) bit for bit (products and the dot's order commute), so
  // each pair is computed once; the sums still add in i order.
  const sim = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < j; i++) sim[j * k + i] = sim[i * k + j] = similarity(cols, i, j, norms);
  }
  const sums = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += i === j ? 1 : sim[j * k + i]!;
    sums[j] = sum;
  }
  const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => sums[a]! - sums[b]! || a - b);
  const dvfa = new Dvfa(INITIAL_RHO, INITIAL_RHO, Number.POSITIVE_INFINITY);
  const best: number[] = [];
  for (const j of order) {
    dvfa.present(cols.subarray(j * FEATURES, (j + 1) * FEATURES), true);
    best.push(dvfa.best);
  }
  let sum = 0;
  const from = Math.floor(tw / 2) - 1;
  for (let i = from; i < best.length; i++) sum += best[i]!;
  return sum / (best.length - from);
}

function similarity(cols: Float64Array, a: number, b: number, norms: Float64Array): number {
  const na = norms[a]!;
  const nb = norms[b]!;
  if (na === 0) return 1 - nb;
  if (nb === 0) return 1 - na;
  let dot = 0;
  for (let i = 0; i < FEATURES; i++) dot += cols[a * FEATURES + i]! * cols[b * FEATURES + i]!;
  return dot / (na * nb);
}

function confidence(a: number, ae: number, lb: number, ub: number): number {
  const q = Math.min(0.999, a);
  const u = (1 - q - (1 - ub)) / (1 - q);
  const l = (1 - q - (1 - lb)) / (1 - q);
  const s = Math.min(1, 0.35 * u + 0.65 * l + 1.5 * (1 - ae));
  const r = roundHalfEven(s * 1e6) / 1e6;
  return Math.max(r, 0);
}

function out(score: number): Score {
  return { score, expected: NO_BAND, lower: NO_BAND, upper: NO_BAND };
}

const DEFAULTS: ArtimeParams = { probation: 200, rangeMargin: 0.1, maxCategories: 512 };

export const artime: DetectorFactory<ArtimeParams> = {
  name: 'artime',
  version: 1,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'ARTime: dual-vigilance fuzzy ART over downsampled, quantised 8-step shapes (NAB #1).',
  // Its score is a final alarm value (a resonance confidence, repeats masked), as NAB scores it:
  // calibrated again it loses 8 (strict) to 22 (NAB mode) points; docs/detectors.md.
  calibration: 'none',
  // NAB standard-profile optimum of the raw score in strict mode (0.574).
  threshold: 0.57,
  params: ArtimeParams,
  defaults: DEFAULTS,
  // Per category: 32 float64 weights in base64 (342 chars), a label and a stamp (≤ 20 chars).
  maxStateBytes: 362 * DEFAULTS.maxCategories + 16384,
  create(params, state, hints) {
    return new ArtimeDetector(params, hints, state?.data as ArtimeData | undefined);
  },
};
