/**
 * Discord: shape anomalies as streaming left discords (the matrix-profile idea; DAMP, Lu, Wu,
 * Mueen, Zuluaga & Keogh, KDD 2022, finds the same left discords online). Each point's score is
 * how far the subsequence ending there is from its nearest neighbour in the recent past, after
 * z-normalising both, so a distorted cycle of a periodic signal scores high whatever its level or
 * amplitude, and a cycle like the ones before scores near 0.
 *
 * - Window: the series' dominant period by autocorrelation (math/period.ts), clamped to
 *   [minPeriod, maxPeriod], or `fallbackWindow` when there is none. It is chosen on the first
 *   `warmup` points (scores are 0 before) and chosen again on 2·warmup, 4·warmup, … up to
 *   `periodWindow` points, as longer periods become visible; a changed window rebuilds the
 *   history from the raw values kept until then.
 * - Windows longer than `maxWindow` are downsampled by block means (PAA) with the smallest factor
 *   f that brings them within it; the score is computed when a block completes and held for the
 *   f − 1 points after it.
 * - Memory: the last `history` (downsampled) values. A discord is judged against that past only,
 *   so a shape that recurs less often than once per history is news each time.
 * - Score: with ρ the z-normalised correlation to the nearest neighbour, the z-normalised
 *   Euclidean distance is d = √(2m(1 − ρ)), and the score is d / (2√m) = √((1 − ρ)/2), 0 … 1,
 *   comparable across window lengths. Values enter standardised by the first `warmup` points'
 *   mean and sd and clamped to ±1e6 of those sds, so no product overflows.
 *
 * Why not DAMP's pruning: it finds the top discords exactly by abandoning a subsequence as soon
 * as some neighbour is closer than the best discord so far, which leaves every other point with
 * an upper bound only. A detector scores every point, so this one computes the exact left
 * profile over its bounded history, in O(history) per (downsampled) point (left-profile.ts).
 */
import Type from 'typebox';
import { tame } from '../../math/finite.ts';
import { detectPeriod } from '../../math/period.ts';
import type { Score } from '../../point.ts';
import type { Detector, DetectorFactory, DetectorState } from '../detector.ts';
import { base64ToFloat64, float64ToBase64 } from '../state-codec.ts';
import { LeftProfile, type LeftProfileState } from './left-profile.ts';

export const DiscordParams = Type.Object(
  {
    warmup: Type.Integer({
      minimum: 16,
      maximum: 65536,
      default: 512,
      description: 'points before the first window is chosen and scores start',
    }),
    periodWindow: Type.Integer({
      minimum: 16,
      maximum: 65536,
      default: 4096,
      description:
        'points after which the window is final (chosen again at 2·warmup, 4·warmup, … up to here)',
    }),
    minPeriod: Type.Integer({ minimum: 4, default: 8, description: 'shortest window (points)' }),
    maxPeriod: Type.Integer({
      minimum: 4,
      maximum: 4096,
      default: 512,
      description: 'longest window (points)',
    }),
    fallbackWindow: Type.Integer({
      minimum: 4,
      maximum: 4096,
      default: 32,
      description: 'window when the series has no period',
    }),
    maxWindow: Type.Integer({
      minimum: 4,
      maximum: 1024,
      default: 64,
      description: 'longest window without downsampling; longer ones are block-averaged into it',
    }),
    history: Type.Integer({
      minimum: 16,
      maximum: 65536,
      default: 2048,
      description: 'past (downsampled) subsequences each new one is compared with',
    }),
  },
  { additionalProperties: false },
);
export interface DiscordParams {
  warmup: number;
  periodWindow: number;
  minPeriod: number;
  maxPeriod: number;
  fallbackWindow: number;
  maxWindow: number;
  history: number;
}

interface DiscordData {
  n: number;
  /** Standardisation of the values: u = (x − center) / scale. */
  center: number;
  scale: number;
  /** Window in raw points (0 before the first choice), downsampling factor, block sum and count. */
  period: number;
  factor: number;
  blockSum: number;
  blockCount: number;
  /** The score of the last completed block, held until the next. */
  held: number;
  /** Raw values kept until the window is final (base64 float64). */
  raw?: string;
  profile?: LeftProfileState;
}

const VERSION = 1;
/** Standardised values are clamped here: a product of two stays far from overflow. */
const U_LIMIT = 1e6;
const ACF_THRESHOLD = 0.3;

export class DiscordDetector implements Detector {
  readonly #p: DiscordParams;
  #n = 0;
  #center = 0;
  #scale = 1;
  #period = 0;
  #factor = 1;
  #blockSum = 0;
  #blockCount = 0;
  #held = 0;
  #raw: Float64Array | undefined;
  #profile: LeftProfile | undefined;

  constructor(p: DiscordParams, data?: DiscordData) {
    this.#p = p;
    if (data === undefined) {
      this.#raw = new Float64Array(Math.max(p.warmup, p.periodWindow));
      return;
    }
    this.#n = data.n;
    this.#center = data.center;
    this.#scale = data.scale;
    this.#period = data.period;
    this.#factor = data.factor;
    this.#blockSum = data.blockSum;
    this.#blockCount = data.blockCount;
    this.#held = data.held;
    if (data.raw !== undefined) {
      this.#raw = new Float64Array(Math.max(p.warmup, p.periodWindow));
      this.#raw.set(base64ToFloat64(data.raw));
    }
    if (data.profile !== undefined) this.#profile = new LeftProfile(this.#window(), p.history, data.profile);
  }

  score(_ts: number, value: number): Score {
    return this.#advance(value, false);
  }

  update(_ts: number, value: number): void {
    this.#advance(value, true);
  }

  step(_ts: number, value: number): Score {
    return this.#advance(value, true);
  }

  snapshot(): DetectorState {
    const data: DiscordData = {
      n: this.#n,
      center: this.#center,
      scale: this.#scale,
      period: this.#period,
      factor: this.#factor,
      blockSum: this.#blockSum,
      blockCount: this.#blockCount,
      held: this.#held,
    };
    if (this.#raw !== undefined) data.raw = float64ToBase64(this.#raw.subarray(0, this.#n));
    if (this.#profile !== undefined) data.profile = this.#profile.snapshot();
    return { detector: 'discord', version: VERSION, data };
  }

  /** Scores one point; with `commit` it also learns it (the one code path of score, update and step). */
  #advance(value: number, commit: boolean): Score {
    const x = clean(value);
    let score = this.#held;
    const profile = this.#profile;
    if (profile !== undefined) {
      const u = this.#standardise(x);
      const count = this.#blockCount + 1;
      const sum = this.#blockSum + u;
      if (count === this.#factor) {
        score = toScore(profile.push(sum / count, commit));
        if (commit) {
          this.#held = score;
          this.#blockSum = 0;
          this.#blockCount = 0;
        }
      } else if (commit) {
        this.#blockSum = sum;
        this.#blockCount = count;
      }
    }
    if (commit) this.#learn(x);
    return { score, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
  }

  /** Keeps the raw value while the window may still change, and chooses it at each stage. */
  #learn(x: number): void {
    const raw = this.#raw;
    this.#n++;
    if (raw === undefined) return;
    raw[this.#n - 1] = x;
    const p = this.#p;
    const last = Math.max(p.warmup, p.periodWindow);
    let stage = p.warmup;
    while (stage < this.#n && stage < last) stage = Math.min(2 * stage, last);
    if (this.#n !== stage) return;
    if (this.#period === 0) this.#setScale(raw.subarray(0, this.#n));
    this.#choose(raw.subarray(0, this.#n));
    if (this.#n >= last) this.#raw = undefined;
  }

  /** Window from the period of `values` (the last choice kept when none is found); rebuilds on a change. */
  #choose(values: Float64Array): void {
    const p = this.#p;
    const found = detectPeriod(values, p.minPeriod, p.maxPeriod, ACF_THRESHOLD);
    const period = found > 0 ? found : this.#period > 0 ? this.#period : p.fallbackWindow;
    const factor = Math.ceil(period / p.maxWindow);
    const m = Math.max(4, Math.round(period / factor));
    this.#period = period;
    if (this.#profile !== undefined && m === this.#profile.m && factor === this.#factor) return;
    this.#factor = factor;
    // Rebuild from the last whole blocks that fit in the new history, ending at this point.
    const profile = new LeftProfile(m, p.history);
    const take = Math.min(values.length - (values.length % factor), (p.history + m) * factor);
    for (let i = values.length - take; i < values.length; i += factor) {
      let s = 0;
      for (let k = 0; k < factor; k++) s += this.#standardise(values[i + k]!);
      profile.push(s / factor, true);
    }
    this.#profile = profile;
    this.#blockSum = 0;
    this.#blockCount = 0;
    this.#held = 0;
  }

  /** The downsampled window length. */
  #window(): number {
    return Math.max(4, Math.round(this.#period / this.#factor));
  }

  /** Center and scale from the warm-up: its mean and sd, computed without overflow. */
  #setScale(values: Float64Array): void {
    const n = values.length;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[i]! / n;
    let big = 0;
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(values[i]! - mean));
    let ss = 0;
    if (big > 0) for (let i = 0; i < n; i++) ss += ((values[i]! - mean) / big) ** 2;
    const sd = big * Math.sqrt(ss / n);
    this.#center = mean;
    this.#scale = sd > 0 && Number.isFinite(sd) ? sd : Math.abs(mean) > 0 ? Math.abs(mean) : 1;
  }

  #standardise(x: number): number {
    const u = (x - this.#center) / this.#scale;
    return Math.min(U_LIMIT, Math.max(u, -U_LIMIT));
  }
}

/** A finite value within the detectors' limits (NaN, which ingest never sends, reads as 0). */
function clean(value: number): number {
  const x = tame(value);
  return Number.isNaN(x) ? 0 : x;
}

/** √((1 − ρ)/2): the z-normalised distance over its maximum 2√m; 0 while there is no neighbour. */
function toScore(rho: number): number {
  return Number.isNaN(rho) ? 0 : Math.sqrt((1 - rho) / 2);
}

const DEFAULTS: DiscordParams = {
  warmup: 512,
  periodWindow: 4096,
  minPeriod: 8,
  maxPeriod: 512,
  fallbackWindow: 32,
  maxWindow: 64,
  history: 2048,
};

/** JSON bytes of a base64 float64 array of `n` values. */
const b64Bytes = (n: number): number => 4 * Math.ceil((8 * n) / 3);

export const discord: DetectorFactory<DiscordParams> = {
  name: 'discord',
  version: VERSION,
  // Under its strict NAB optimum (0.20 of its calibrated scale), as for robust-z and bocpd.
  afterglow: { level: 0.3 },
  description:
    'Streaming left discords: z-normalised distance of the subsequence ending at each point (one period long) to its nearest neighbour in a bounded history.',
  params: DiscordParams,
  defaults: DEFAULTS,
  // At defaults: the raw values of the first 4,096 points (until the window is final), and the
  // values and QT of 2,048 + 64 retained subsequences, plus under 600 bytes of keys and numbers.
  maxStateBytes: b64Bytes(4096) + 2 * b64Bytes(2048 + 64) + 600,
  // The default calibration (lite-likelihood): raw distances have a per-series baseline (noise
  // raises every nearest-neighbour distance), which the likelihood learns. NAB standard 51.4
  // with it, 0.0 on raw scores (`none`); docs/detectors.md.
  create(params, state) {
    if (state === undefined || state.version !== VERSION) return new DiscordDetector(params);
    return new DiscordDetector(params, state.data as DiscordData);
  },
};
