/**
 * ARTime's feature stage after downsampling (detectors.md §1.2): normalise a downsampled pick
 * into the value range, quantise to 80 levels, snap to an approximate running median, keep an
 * 8-step window, and turn it into 16 features (a min-max normalised 3-level Haar transform of the
 * window, then the window itself).
 *
 * The range is fixed in NAB mode (the file's min/max). In strict mode it starts from the
 * probation's picks and widens when a pick falls outside; widening rescales everything that holds
 * levels (histogram, median, window, and through `onRemap` the clusterer's level weights).
 */

export const WIN = 8;
const LEVELS = 80;
const CHOMP = 0.075;
const C = 0.7071067811865475;

export interface EncoderData {
  lo: number;
  hi: number;
  hist: number[];
  med: number;
  below: number;
  above: number;
  d: number;
  fw: number[];
}

/**
 * Scratch of `encode`, one for every encoder of the thread (an encode runs to its end before
 * another starts); per instance they cost two typed arrays a series (issue 19).
 */
const S = new Float64Array(WIN);
const H = new Float64Array(WIN);

export class LevelEncoder {
  #lo: number;
  #hi: number;
  readonly #widen: number;
  readonly #hist = new Float64Array(LEVELS + 1);
  #med = 0;
  #below = 0;
  #above = 0;
  #d = 0;
  /** The feature window, oldest first. */
  readonly #fw = new Float64Array(WIN);
  /** Called with (a, b) when the range widens: old level values u map to a·u + b. */
  onRemap: ((a: number, b: number) => void) | null = null;

  /** `widen` > 0 lets the range grow (strict mode); 0 keeps it fixed (NAB mode). */
  constructor(lo: number, hi: number, widen: number, data?: EncoderData) {
    this.#lo = data?.lo ?? lo;
    this.#hi = data?.hi ?? hi;
    this.#widen = widen;
    if (data) {
      this.#hist.set(data.hist);
      this.#med = data.med;
      this.#below = data.below;
      this.#above = data.above;
      this.#d = data.d;
      this.#fw.set(data.fw);
    }
  }

  /** An independent copy (its `onRemap` is left unset). */
  clone(): LevelEncoder {
    return new LevelEncoder(this.#lo, this.#hi, this.#widen, this.toJSON());
  }

  /** Encodes the next downsampled pick into `out` (16 features; zeros before the window fills). */
  encode(pick: number, out: Float64Array): void {
    if (this.#widen > 0 && (pick < this.#lo || pick > this.#hi)) this.#grow(pick);
    const d = ++this.#d;
    let v = pick - this.#lo;
    if (this.#hi !== this.#lo) v = v / (this.#hi - this.#lo);
    let level = roundHalfEven(v * LEVELS);
    level = level < 0 ? 0 : Math.min(level, LEVELS);
    v = level / LEVELS;
    this.#median(level, d);
    const med = this.#med / LEVELS;
    if (Math.abs(v - med) < CHOMP) v = med;
    const fw = this.#fw;
    for (let i = 1; i < WIN; i++) fw[i - 1] = fw[i]!;
    fw[WIN - 1] = v;
    if (d < WIN) {
      out.fill(0);
      return;
    }
    const s = S;
    minMax(fw, s);
    haar(s, H);
    minMax(H, s);
    out.set(s, 0);
    out.set(fw, WIN);
  }

  toJSON(): EncoderData {
    return {
      lo: this.#lo,
      hi: this.#hi,
      hist: Array.from(this.#hist),
      med: this.#med,
      below: this.#below,
      above: this.#above,
      d: this.#d,
      fw: Array.from(this.#fw),
    };
  }

  /** Approximate running median of the levels over an 81-bin histogram. */
  #median(level: number, d: number): void {
    const h = this.#hist;
    h[level] += 1;
    const half = Math.floor(d / 2);
    if (d === 1) this.#med = level;
    if (this.#med > level) this.#below++;
    else if (this.#med < level) this.#above++;
    if (half < this.#above) {
      this.#below += h[this.#med]!;
      this.#med++;
      while (h[this.#med] === 0) this.#med++;
      this.#above -= h[this.#med]!;
    } else if (half < this.#below) {
      this.#above += h[this.#med]!;
      this.#med--;
      while (h[this.#med] === 0) this.#med--;
      this.#below -= h[this.#med]!;
    }
  }

  /** Widens the range to take `pick` with a margin, and rescales all level state to match. */
  #grow(pick: number): void {
    const lo = this.#lo;
    const hi = this.#hi;
    const m = this.#widen;
    const lo2 = pick < lo ? pick - m * (hi - pick) : lo;
    const hi2 = pick > hi ? pick + m * (pick - lo) : hi;
    const span2 = hi2 - lo2;
    // A level u meant lo + u·span (or lo + u when the span was 0): u' = (that − lo2)/span2.
    const a = (hi > lo ? hi - lo : 1) / span2;
    const b = (lo - lo2) / span2;
    this.#lo = lo2;
    this.#hi = hi2;
    if (this.#d === 0) return;
    const old = Float64Array.from(this.#hist);
    this.#hist.fill(0);
    for (let l = 0; l <= LEVELS; l++) {
      if (old[l] !== 0) this.#hist[remapLevel(l, a, b)] += old[l]!;
    }
    this.#med = remapLevel(this.#med, a, b);
    let below = 0;
    let above = 0;
    for (let l = 0; l <= LEVELS; l++) {
      if (l < this.#med) below += this.#hist[l]!;
      else if (l > this.#med) above += this.#hist[l]!;
    }
    this.#below = below;
    this.#above = above;
    for (let i = 0; i < WIN; i++) this.#fw[i] = a * this.#fw[i]! + b;
    this.onRemap?.(a, b);
  }
}

function remapLevel(l: number, a: number, b: number): number {
  const r = roundHalfEven((a * (l / LEVELS) + b) * LEVELS);
  return r < 0 ? 0 : Math.min(r, LEVELS);
}

/** Round to nearest, ties to even (Julia's and NumPy's default). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const r = x - f;
  if (r > 0.5) return f + 1;
  if (r < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** out = (x − min x) / max(x − min x), leaving the division out when that max is 0. */
function minMax(x: Float64Array, out: Float64Array): void {
  let lo = x[0]!;
  for (let i = 1; i < x.length; i++) if (x[i]! < lo) lo = x[i]!;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < x.length; i++) {
    out[i] = x[i]! - lo;
    if (out[i]! > hi) hi = out[i]!;
  }
  if (hi !== 0) for (let i = 0; i < x.length; i++) out[i] = out[i]! / hi;
}

/** Full 3-level orthonormal Haar transform of 8 values: [a3, d3, d2(2), d1(4)]; detail = c·b − c·a. */
function haar(s: Float64Array, out: Float64Array): void {
  const a1 = [0, 0, 0, 0];
  for (let k = 0; k < 4; k++) {
    const a = s[2 * k]!;
    const b = s[2 * k + 1]!;
    a1[k] = C * a + C * b;
    out[4 + k] = C * b - C * a;
  }
  const a2 = [0, 0];
  for (let k = 0; k < 2; k++) {
    const a = a1[2 * k]!;
    const b = a1[2 * k + 1]!;
    a2[k] = C * a + C * b;
    out[2 + k] = C * b - C * a;
  }
  out[0] = C * a2[0]! + C * a2[1]!;
  out[1] = C * a2[1]! - C * a2[0]!;
}
