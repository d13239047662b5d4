/**
 * HTM anomaly likelihood (Numenta, as used by NAB; research/detectors.md §3.3): a calibration step
 * that turns any raw surprise score in [0, 1] into how unlikely the recent average raw score is,
 * given the distribution of past averages. Detector-agnostic; O(1) per record plus a
 * re-estimation every `reestimationPeriod` records over at most `historicWindowSize` stored ones.
 *
 * Lifecycle: `probe(value, raw)` says what `update(value, raw)` would return, without changing
 * state (score-then-learn); `update` commits the record. With NAB's settings this reproduces
 * NAB's stored numenta likelihoods from their raw scores.
 *
 * History. Exact (NuPIC's): every stored record's value and raw score, up to 25 JSON characters
 * each (≤ 432 KB at 8640 records). Compact (`compactHistory`): raw scores rounded to 1/65535
 * (2 bytes each in the snapshot; the averages estimated from them move by under 1e-5) and the
 * values only as moments of blocks of 20 (block-variance.ts: the flat-metric test then looks at a
 * window up to 19 records shorter); ≤ 33 KB at 8640 records, whatever the values.
 */
import { base64ToBytes, bytesToBase64 } from '../detectors/state-codec.ts';
import { erfc } from '../math/special.ts';
import { BlockVariance, type BlockVarianceData } from './block-variance.ts';

export interface LikelihoodSettings {
  /** L: records whose scores are skipped when estimating (NAB: floor(P/2)). */
  learningPeriod: number;
  /** E: records after L before likelihoods are computed; the first L + E return 0.5. */
  estimationSamples: number;
  /** Records of (value, raw) kept for re-estimation (NAB: 8640). */
  historicWindowSize: number;
  /** Re-estimate the distribution every this many records (NAB: 100). */
  reestimationPeriod: number;
  /** Raw scores are averaged over this many records (NAB: 10). */
  averagingWindow: number;
  /** Keep the compact history (above) instead of NuPIC's exact one. */
  compactHistory?: boolean;
}

/**
 * JSON form. `dist` is [mean, stdev], null until first estimated. The history is exact (`values`,
 * `raws` as numbers) or compact (`raws` as 16-bit fractions in base64, `blocks`).
 */
export type LikelihoodData = LikelihoodDataBase &
  ({ values: number[]; raws: number[] } | { raws: string; blocks: BlockVarianceData });

interface LikelihoodDataBase {
  t: number;
  dist: [number, number] | null;
  avg: number[];
  total: number;
  recentP: number[];
}

const RED = 1 - 0.99999;
const YELLOW = 1 - 0.999;
const NULL_MEAN = 0.5;
const NULL_STDEV = 1000;
const MIN_MEAN = 0.03;
const MIN_VARIANCE = 0.0003;
const FLAT_VARIANCE = 1.5e-5;
/** NuPIC's constant in place of √2; NAB's stored likelihoods depend on it. */
// biome-ignore lint/suspicious/noApproximativeNumericConstant: deliberately not Math.SQRT2 (see above)
const SQRT2_NUPIC = 1.4142;
const LOG_SCALE = -23.02585084720009;
/** Compact history: raw scores in steps of 1/RAW_STEPS, values as moments of VALUE_BLOCK records. */
const RAW_STEPS = 65535;
const VALUE_BLOCK = 20;
/** Slots of the raw-score ring of a new history (it doubles from there up to historicWindowSize). */
const FIRST_SLOTS = 64;

/** NAB's mapping of a likelihood to a final score: ln(1.0000000001 − l) / ln(1e-10)-ish, in [0, 1]. */
export function logLikelihood(likelihood: number): number {
  return Math.log(1.0000000001 - likelihood) / LOG_SCALE;
}

interface Estimate {
  t: number;
  mean: number;
  stdev: number;
  avg: number[];
  total: number;
  recentP: number[];
}

export class AnomalyLikelihood {
  readonly #s: LikelihoodSettings;
  #t: number;
  /** Exact history: the stored records' values (empty when compact). */
  readonly #values: Float64Array;
  /** Compact history: moments of the values (null when exact). */
  readonly #blocks: BlockVariance | null;
  /**
   * The stored raw scores, a ring of `#cap` once full: float64 (exact), or in compact form the
   * 16-bit steps the snapshot holds (raw = step / RAW_STEPS, the same double either way), 17 KB
   * instead of 69 KB at 8,640 records. Grown by doubling up to `#cap` while it fills (the head
   * stays at 0 until then), so a new series does not hold 8,640 slots for its first points.
   */
  #raws: Float64Array | Uint16Array;
  readonly #cap: number;
  /** What a stored raw is divided by: RAW_STEPS (compact) or 1 (exact). */
  readonly #scale: number;
  #head = 0;
  #size = 0;
  #mean = NULL_MEAN;
  #stdev = NULL_STDEV;
  #hasDist = false;
  #avg: number[];
  #total: number;
  #recentP: number[];
  /** Re-estimation due at record #t, computed once and shared by probe() and update(). */
  #estimate: Estimate | undefined;

  constructor(settings: LikelihoodSettings, data?: LikelihoodData) {
    this.#s = settings;
    const cap = Math.max(1, settings.historicWindowSize);
    const compact = settings.compactHistory === true;
    this.#values = new Float64Array(compact ? 0 : cap);
    this.#cap = cap;
    this.#scale = compact ? RAW_STEPS : 1;
    this.#raws = compact
      ? new Uint16Array(Math.min(cap, FIRST_SLOTS))
      : new Float64Array(Math.min(cap, FIRST_SLOTS));
    this.#t = data?.t ?? 0;
    this.#avg = data?.avg.slice() ?? [];
    this.#total = data?.total ?? 0;
    this.#recentP = data?.recentP.slice() ?? [];
    if (data?.dist != null) {
      this.#hasDist = true;
      [this.#mean, this.#stdev] = data.dist;
    }
    this.#blocks = compact ? new BlockVariance(VALUE_BLOCK, cap) : null;
    if (data === undefined) return;
    if ('blocks' in data) {
      if (!compact) throw new Error('an exact likelihood cannot restore a compact history');
      this.#blocks = new BlockVariance(VALUE_BLOCK, cap, data.blocks);
      const q = base64ToBytes(data.raws);
      const raws = new Uint16Array(q.buffer, q.byteOffset, q.byteLength / 2);
      for (let i = Math.max(0, raws.length - cap); i < raws.length; i++) this.#pushRaw(raws[i]!);
      return;
    }
    // An exact history (also a version-1 state, which the compact form takes over).
    const from = Math.max(0, data.values.length - cap);
    if (this.#blocks !== null) {
      this.#blocks = BlockVariance.startingAt(VALUE_BLOCK, cap, this.#t - (data.values.length - from));
    }
    for (let i = from; i < data.values.length; i++) this.#push(data.values[i]!, data.raws[i]!);
  }

  /** Records seen so far. */
  get count(): number {
    return this.#t;
  }

  /** The likelihood `update(value, raw)` would return; no state changes. */
  probe(_value: number, raw: number): number {
    if (this.#t < this.#s.learningPeriod + this.#s.estimationSamples) return 0.5;
    const e = this.#due();
    const avg = e?.avg ?? this.#avg;
    let total = e?.total ?? this.#total;
    let count = avg.length;
    if (count === this.#s.averagingWindow) total -= avg[0]!;
    else count++;
    total += raw;
    const p = this.#tail(total / count, e?.mean ?? this.#mean, e?.stdev ?? this.#stdev);
    const recent = e?.recentP ?? this.#recentP;
    return 1 - filter(p, recent);
  }

  /** Commits the record and returns its likelihood. */
  update(value: number, raw: number): number {
    let likelihood = 0.5;
    if (this.#t >= this.#s.learningPeriod + this.#s.estimationSamples) {
      const e = this.#due();
      if (e !== undefined) {
        this.#mean = e.mean;
        this.#stdev = e.stdev;
        this.#hasDist = true;
        this.#avg = e.avg.slice();
        this.#total = e.total;
        this.#recentP = e.recentP.slice();
      }
      this.#estimate = undefined;
      if (this.#avg.length === this.#s.averagingWindow) this.#total -= this.#avg.shift()!;
      this.#avg.push(raw);
      this.#total += raw;
      const p = this.#tail(this.#total / this.#avg.length, this.#mean, this.#stdev);
      const f = filter(p, this.#recentP);
      this.#recentP.push(p);
      if (this.#recentP.length > this.#s.averagingWindow) this.#recentP.shift();
      likelihood = 1 - f;
    }
    this.#push(value, raw);
    this.#t++;
    return likelihood;
  }

  snapshot(): LikelihoodData {
    const base: LikelihoodDataBase = {
      t: this.#t,
      dist: this.#hasDist ? [this.#mean, this.#stdev] : null,
      avg: this.#avg.slice(),
      total: this.#total,
      recentP: this.#recentP.slice(),
    };
    const cap = this.#cap;
    if (this.#blocks !== null) {
      const q = new Uint16Array(this.#size);
      for (let i = 0; i < this.#size; i++) q[i] = this.#raws[(this.#head + i) % cap]!;
      const raws = bytesToBase64(new Uint8Array(q.buffer));
      return { ...base, raws, blocks: this.#blocks.toJSON() };
    }
    const values: number[] = new Array(this.#size);
    const raws: number[] = new Array(this.#size);
    for (let i = 0; i < this.#size; i++) {
      values[i] = this.#values[(this.#head + i) % cap]!;
      raws[i] = this.#raws[(this.#head + i) % cap]!;
    }
    return { ...base, values, raws };
  }

  #push(value: number, raw: number): void {
    if (this.#blocks !== null) {
      this.#blocks.push(value);
      // Stored as the snapshot will hold it, so a restored history equals the running one.
      this.#pushRaw(Math.round((raw > 0 ? Math.min(raw, 1) : 0) * RAW_STEPS));
      return;
    }
    const cap = this.#cap;
    this.#values[this.#size < cap ? (this.#head + this.#size) % cap : this.#head] = value;
    this.#pushRaw(raw);
  }

  /** Stores a raw score in its stored form (a 16-bit step when compact). */
  #pushRaw(raw: number): void {
    const cap = this.#cap;
    if (this.#size < cap) {
      if (this.#size === this.#raws.length) this.#grow();
      this.#raws[(this.#head + this.#size) % cap] = raw;
      this.#size++;
    } else {
      this.#raws[this.#head] = raw;
      this.#head = (this.#head + 1) % cap;
    }
  }

  /** Doubles the ring (at most to `#cap`) while it fills: the head is still at 0. */
  #grow(): void {
    const old = this.#raws;
    const n = Math.min(this.#cap, 2 * old.length);
    const raws = old instanceof Uint16Array ? new Uint16Array(n) : new Float64Array(n);
    raws.set(old);
    this.#raws = raws;
  }

  /** The re-estimate due at this record, if one is (none yet, or every `reestimationPeriod`). */
  #due(): Estimate | undefined {
    const t = this.#t;
    if (this.#hasDist && t % this.#s.reestimationPeriod !== 0) return undefined;
    if (this.#estimate?.t === t) return this.#estimate;
    const cap = this.#cap;
    const size = this.#size;
    const w = this.#s.averagingWindow;
    const skip = Math.min(
      t,
      Math.max(0, this.#s.learningPeriod - Math.max(0, t - this.#s.historicWindowSize)),
    );
    // Fresh moving average over the stored raw scores, oldest first (total − leaving + entering,
    // in NuPIC's order).
    const avgs = scratch(size);
    const raws = this.#raws;
    const scale = this.#scale;
    let total = 0;
    for (let i = 0, j = this.#head; i < size; i++, j = j + 1 === cap ? 0 : j + 1) {
      if (i >= w) {
        const k = j - w;
        total -= raws[k < 0 ? k + cap : k]! / scale;
      }
      total += raws[j]! / scale;
      avgs[i] = total / (i < w ? i + 1 : w);
    }
    const buf: number[] = [];
    for (let i = Math.max(0, size - w); i < size; i++) buf.push(raws[(this.#head + i) % cap]! / scale);
    let mean = NULL_MEAN;
    let stdev = NULL_STDEV;
    if (size > skip) {
      const n = size - skip;
      let sum = 0;
      for (let i = skip; i < size; i++) sum += avgs[i]!;
      let m = sum / n;
      let ss = 0;
      for (let i = skip; i < size; i++) ss += (avgs[i]! - m) ** 2;
      let variance = ss / n;
      if (m < MIN_MEAN) m = MIN_MEAN;
      if (variance < MIN_VARIANCE) variance = MIN_VARIANCE;
      mean = m;
      stdev = Math.sqrt(variance);
      if (this.#valueVariance(skip) < FLAT_VARIANCE) {
        mean = NULL_MEAN;
        stdev = NULL_STDEV;
      }
    }
    const recentP: number[] = [];
    for (let i = Math.max(0, size - w); i < size; i++) recentP.push(this.#tail(avgs[i]!, mean, stdev));
    this.#estimate = { t, mean, stdev, avg: buf, total, recentP };
    return this.#estimate;
  }

  /** Population variance of the stored values from index `skip` on. */
  #valueVariance(skip: number): number {
    if (this.#blocks !== null) return this.#blocks.variance(this.#t - this.#size + skip);
    const cap = this.#values.length;
    const values = this.#values;
    const n = this.#size - skip;
    const first = (this.#head + skip) % cap;
    let sum = 0;
    for (let i = 0, j = first; i < n; i++, j = j + 1 === cap ? 0 : j + 1) sum += values[j]!;
    const m = sum / n;
    let ss = 0;
    for (let i = 0, j = first; i < n; i++, j = j + 1 === cap ? 0 : j + 1) ss += (values[j]! - m) ** 2;
    return ss / n;
  }

  /** One-sided upper tail P(X > x), X ~ N(mean, stdev), with NuPIC's mirroring below the mean. */
  #tail(x: number, mean: number, stdev: number): number {
    if (x < mean) {
      const xp = 2 * mean - x;
      return 1 - 0.5 * erfc((xp - mean) / stdev / SQRT2_NUPIC);
    }
    return 0.5 * erfc((x - mean) / stdev / SQRT2_NUPIC);
  }
}

/**
 * The moving averages of a re-estimation, shared by every likelihood of the thread: each wrote and
 * read its own 8,640 float64 (69 KB a series, resident once the history had filled), though they
 * live only within one `#due` call, which never runs inside another.
 */
let avgScratch = new Float64Array(0);

function scratch(size: number): Float64Array {
  if (avgScratch.length < size) avgScratch = new Float64Array(Math.max(size, 2 * avgScratch.length));
  return avgScratch;
}

/** Repeated red tail probabilities are held at yellow, so a long excursion alarms once. */
function filter(p: number, recentP: readonly number[]): number {
  const last = recentP.length > 0 ? recentP[recentP.length - 1]! : Number.POSITIVE_INFINITY;
  return p <= RED && last <= RED ? YELLOW : p;
}

/**
 * Learning and estimation periods of the likelihood: the configured ones, or, when the NAB harness
 * hands a probationary length, its first half for learning and the rest for estimation (as NAB's
 * numenta detector splits it).
 */
export function likelihoodPeriods(
  p: { learningPeriod: number; estimationSamples: number },
  probationaryLength?: number,
): { learningPeriod: number; estimationSamples: number } {
  if (probationaryLength === undefined)
    return { learningPeriod: p.learningPeriod, estimationSamples: p.estimationSamples };
  const learningPeriod = Math.floor(probationaryLength / 2);
  return { learningPeriod, estimationSamples: probationaryLength - learningPeriod };
}
