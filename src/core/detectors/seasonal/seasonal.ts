/**
 * Seasonal baseline: additive level + per-phase seasonal offset (Holt-Winters style), with the
 * period found automatically by autocorrelation over a bounded buffer (period.ts), re-evaluated
 * every `detectEvery` points (and at 96, 192, 384 … points while the buffer fills). With no period
 * it is a plain level model. Expected = level + offset[phase]; the band and the z use a robust
 * scale: 1.2533 × the mean absolute residual, half per-phase and half global. Updates are
 * Huberised (residuals clipped at `clipSigmas`), so spikes do not drag the baseline.
 *
 * Time: points live on a slot grid whose interval is the median of the last 15 timestamp
 * deltas. A gap of k slots advances the phase by k, and the missing slots enter the buffer as
 * their expected values, so phases stay aligned to wall time across missing points.
 */
import Type from 'typebox';
import { finiteOrNaN, tame, zScore } from '../../math/finite.ts';
import { twoSidedConfidence } from '../../math/normal.ts';
import { detectPeriod } from '../../math/period.ts';
import type { Score } from '../../point.ts';
import { DEFAULT_AFTERGLOW, type Detector, type DetectorFactory, type DetectorState } from '../detector.ts';
import { base64Length, base64ToFloat64, float64ToBase64 } from '../state-codec.ts';

export const SeasonalParams = Type.Object(
  {
    bufferSize: Type.Integer({
      minimum: 32,
      default: 1024,
      description: 'recent slots the period is searched in',
    }),
    minPeriod: Type.Integer({ minimum: 2, default: 4, description: 'shortest period considered, in slots' }),
    maxPeriod: Type.Integer({
      minimum: 2,
      default: 340,
      description: 'longest period considered (≤ bufferSize/3)',
    }),
    acfThreshold: Type.Number({
      minimum: 0,
      maximum: 1,
      default: 0.3,
      description: 'autocorrelation a period needs',
    }),
    detectEvery: Type.Integer({ minimum: 1, default: 1024, description: 'points between period searches' }),
    levelAlpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'level smoothing',
    }),
    seasonGamma: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.1,
      description: 'per-phase smoothing (offset and residual), once per cycle',
    }),
    scaleAlpha: Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      default: 0.02,
      description: 'global residual smoothing',
    }),
    clipSigmas: Type.Number({
      exclusiveMinimum: 0,
      default: 4,
      description: 'residuals clipped here for learning',
    }),
    bandSigmas: Type.Number({
      exclusiveMinimum: 0,
      default: 3.5,
      description: 'band half-width in robust sd',
    }),
    warmup: Type.Integer({ minimum: 2, default: 20, description: 'points before scores are non-zero' }),
    minScale: Type.Number({ minimum: 0, default: 1e-9, description: 'floor on the robust sd' }),
  },
  { additionalProperties: false },
);
export interface SeasonalParams {
  bufferSize: number;
  minPeriod: number;
  maxPeriod: number;
  acfThreshold: number;
  detectEvery: number;
  levelAlpha: number;
  seasonGamma: number;
  scaleAlpha: number;
  clipSigmas: number;
  bandSigmas: number;
  warmup: number;
  minScale: number;
}

interface SeasonalData {
  n: number;
  slot: number;
  lastTs: number;
  interval: number;
  deltas: number[];
  /** The buffer, oldest first; float64 base64 since version 2 (numbers in version 1). */
  values: string | number[];
  level: number;
  spread: number;
  period: number;
  misses: number;
  offsets: string | number[];
  spreads: string | number[];
}

/** A float array as version 2 writes it (base64) or version 1 did (numbers). */
function floats(x: string | number[]): Float64Array<ArrayBuffer> {
  return typeof x === 'string' ? Float64Array.from(base64ToFloat64(x)) : Float64Array.from(x);
}

/** √(π/2): mean absolute deviation → sd for a normal sample. */
const MEAN_AD_TO_SD = 1.2533141373155003;
const DELTAS = 15;
const MAX_GAP_SLOTS = 1e12;

export class SeasonalDetector implements Detector {
  readonly #p: SeasonalParams;
  #n = 0;
  #slot = 0;
  #lastTs = 0;
  #interval = 0;
  #deltas: number[] = [];
  readonly #ring: Float64Array;
  #head = 0;
  #size = 0;
  #level = 0;
  /** Global mean absolute residual. */
  #spread = 0;
  #period = 0;
  #misses = 0;
  #offsets = new Float64Array(0);
  #spreads = new Float64Array(0);

  constructor(p: SeasonalParams, data?: SeasonalData) {
    this.#p = p;
    this.#ring = new Float64Array(p.bufferSize);
    if (data !== undefined) {
      this.#n = data.n;
      this.#slot = data.slot;
      this.#lastTs = data.lastTs;
      this.#interval = data.interval;
      this.#deltas = data.deltas.slice();
      for (const v of floats(data.values).slice(-p.bufferSize)) this.#push(v);
      this.#level = data.level;
      this.#spread = data.spread;
      this.#period = data.period;
      this.#misses = data.misses;
      this.#offsets = floats(data.offsets);
      this.#spreads = floats(data.spreads);
    }
  }

  score(ts: number, value: number): Score {
    if (this.#n === 0) return { score: 0, expected: Number.NaN, lower: Number.NaN, upper: Number.NaN };
    const phase = this.#phaseAt(this.#slot + this.#slotsTo(ts));
    const expected = this.#expected(phase);
    const scale = this.#scale(phase);
    const half = this.#p.bandSigmas * scale;
    const score = this.#n < this.#p.warmup ? 0 : twoSidedConfidence(zScore(tame(value), expected, scale));
    return { score, expected, lower: finiteOrNaN(expected - half), upper: finiteOrNaN(expected + half) };
  }

  update(ts: number, value: number): void {
    const x = tame(value);
    const p = this.#p;
    if (this.#n === 0) {
      this.#level = x;
      this.#push(x);
      this.#lastTs = ts;
      this.#n = 1;
      return;
    }
    const k = this.#slotsTo(ts);
    // Missing slots enter the buffer as their expected values; the model does not learn from them.
    const fill = Math.min(k - 1, p.bufferSize);
    for (let j = fill; j >= 1; j--) this.#push(this.#expected(this.#phaseAt(this.#slot + k - j)));
    this.#slot += k;
    const phase = this.#phaseAt(this.#slot);
    const scale = this.#scale(phase);
    // No clipping during warm-up: the scale is not known yet.
    const lim = this.#n < p.warmup ? Number.POSITIVE_INFINITY : p.clipSigmas * scale;
    const r = x - this.#expected(phase);
    const rc = r > lim ? lim : Math.max(r, -lim);
    const ar = Math.abs(rc);
    this.#spread += (this.#n < 2 ? 1 : Math.max(p.scaleAlpha, 1 / this.#n)) * (ar - this.#spread);
    const a = Math.max(p.levelAlpha, 1 / (this.#n + 1));
    if (this.#period > 0) {
      // Level takes its share of the clipped residual, the phase offset the rest of what is left.
      this.#level += a * rc;
      const off = this.#offsets[phase]!;
      this.#offsets[phase] = off + p.seasonGamma * (1 - a) * rc;
      this.#spreads[phase] = this.#spreads[phase]! + p.seasonGamma * (ar - this.#spreads[phase]!);
    } else {
      this.#level += a * rc;
    }
    this.#push(x);
    const dt = ts - this.#lastTs;
    if (dt > 0) {
      this.#deltas.push(dt);
      if (this.#deltas.length > DELTAS) this.#deltas.shift();
    }
    this.#lastTs = ts;
    this.#n++;
    if (this.#interval === 0 || this.#n % 16 === 0) this.#interval = median(this.#deltas);
    if (this.#detectDue()) this.#detect();
  }

  #detectDue(): boolean {
    const n = this.#n;
    if (n % this.#p.detectEvery === 0 && this.#size >= 96) return true;
    // Early searches at 96·2^j while the buffer fills.
    if (n < 96 || n >= this.#p.bufferSize) return false;
    const q = n / 96;
    return Number.isInteger(q) && (q & (q - 1)) === 0;
  }

  #detect(): void {
    const found = detectPeriod(
      this.values(),
      this.#p.minPeriod,
      Math.min(this.#p.maxPeriod, Math.floor(this.#size / 3)),
      this.#p.acfThreshold,
    );
    if (found === 0) {
      // A period survives one miss: seasonality can be masked for a while by an incident.
      if (this.#period > 0 && ++this.#misses >= 2) this.#setPeriod(0);
      return;
    }
    this.#misses = 0;
    if (found !== this.#period) this.#setPeriod(found);
  }

  /** Re-initialises level, offsets and spreads from the buffer under period `p` (0: none). */
  #setPeriod(p: number): void {
    this.#period = p;
    this.#misses = 0;
    const v = this.values();
    if (p === 0) {
      this.#offsets = new Float64Array(0);
      this.#spreads = new Float64Array(0);
      return;
    }
    const cycles = Math.floor(v.length / p);
    const from = v.length - cycles * p;
    // Running means: sums of up to 1024 values near ±1e306 would overflow.
    let mean = 0;
    for (let i = from; i < v.length; i++) mean += (v[i]! - mean) / (i - from + 1);
    const offsets = new Float64Array(p);
    const counts = new Float64Array(p);
    for (let i = from; i < v.length; i++) {
      const ph = this.#phaseOfBuffer(i, v.length, p);
      counts[ph]!++;
      offsets[ph] = offsets[ph]! + (v[i]! - mean - offsets[ph]!) / counts[ph]!;
    }
    // Level: the de-seasonalised mean of the last cycle.
    let level = 0;
    for (let i = v.length - p; i < v.length; i++) {
      level += (v[i]! - offsets[this.#phaseOfBuffer(i, v.length, p)]! - level) / (i - v.length + p + 1);
    }
    // Spreads: mean absolute residual per phase and overall.
    const spreads = new Float64Array(p);
    counts.fill(0);
    let spread = 0;
    for (let i = from; i < v.length; i++) {
      const ph = this.#phaseOfBuffer(i, v.length, p);
      const ar = Math.abs(v[i]! - mean - offsets[ph]!);
      counts[ph]!++;
      spreads[ph] = spreads[ph]! + (ar - spreads[ph]!) / counts[ph]!;
      spread += (ar - spread) / (i - from + 1);
    }
    this.#level = level;
    this.#spread = spread;
    this.#offsets = offsets;
    this.#spreads = spreads;
  }

  #phaseOfBuffer(i: number, len: number, p: number): number {
    return (((this.#slot - (len - 1 - i)) % p) + p) % p;
  }

  #phaseAt(slot: number): number {
    return this.#period > 0 ? slot % this.#period : 0;
  }

  #expected(phase: number): number {
    return this.#period > 0 ? this.#level + this.#offsets[phase]! : this.#level;
  }

  #scale(phase: number): number {
    const s = this.#period > 0 ? 0.5 * this.#spreads[phase]! + 0.5 * this.#spread : this.#spread;
    return Math.max(MEAN_AD_TO_SD * s, this.#p.minScale, Math.abs(this.#level) * 1e-9);
  }

  #slotsTo(ts: number): number {
    if (!(this.#interval > 0)) return 1;
    const k = Math.round((ts - this.#lastTs) / this.#interval);
    return k < 1 ? 1 : Math.min(k, MAX_GAP_SLOTS);
  }

  #push(x: number): void {
    const b = this.#p.bufferSize;
    if (this.#size < b) {
      this.#ring[(this.#head + this.#size) % b] = x;
      this.#size++;
    } else {
      this.#ring[this.#head] = x;
      this.#head = (this.#head + 1) % b;
    }
  }

  /** The buffer, oldest first. */
  values(): Float64Array {
    const b = this.#p.bufferSize;
    const out = new Float64Array(this.#size);
    for (let i = 0; i < this.#size; i++) out[i] = this.#ring[(this.#head + i) % b]!;
    return out;
  }

  /** The period in use, in slots (0: none). */
  get period(): number {
    return this.#period;
  }

  snapshot(): DetectorState {
    const data: SeasonalData = {
      n: this.#n,
      slot: this.#slot,
      lastTs: this.#lastTs,
      interval: this.#interval,
      deltas: this.#deltas.slice(),
      values: float64ToBase64(this.values()),
      level: this.#level,
      spread: this.#spread,
      period: this.#period,
      misses: this.#misses,
      offsets: float64ToBase64(this.#offsets),
      spreads: float64ToBase64(this.#spreads),
    };
    return { detector: 'seasonal', version: 2, data };
  }
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : s[h - 1]! / 2 + s[h]! / 2;
}

const DEFAULTS: SeasonalParams = {
  bufferSize: 1024,
  minPeriod: 4,
  maxPeriod: 340,
  acfThreshold: 0.3,
  detectEvery: 1024,
  levelAlpha: 0.1,
  seasonGamma: 0.1,
  scaleAlpha: 0.02,
  clipSigmas: 4,
  bandSigmas: 3.5,
  warmup: 20,
  minScale: 1e-9,
};

export const seasonal: DetectorFactory<SeasonalParams> = {
  name: 'seasonal',
  // Version 2 writes the float arrays in base64; version-1 states (numbers) restore as well.
  version: 2,
  afterglow: DEFAULT_AFTERGLOW,
  description: 'Level + per-phase seasonal baseline, period found by autocorrelation; robust z and band.',
  params: SeasonalParams,
  defaults: DEFAULTS,
  // Buffer and 2 numbers per phase of the longest period in base64, 15 deltas and 10 scalars at
  // ≤ 25 bytes each, keys.
  maxStateBytes:
    base64Length(8 * DEFAULTS.bufferSize) + 2 * base64Length(8 * DEFAULTS.maxPeriod) + 25 * 25 + 256,
  create(params, state) {
    return new SeasonalDetector(params, state?.data as SeasonalData | undefined);
  },
};
