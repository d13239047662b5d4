/**
 * A small seeded PRNG for detectors (xoshiro128**, seeded through splitmix32). Detectors MUST NOT
 * use Math.random: their output has to be a pure function of the seed and the stream, and their
 * snapshots have to restore the generator exactly. The whole state is four uint32 words.
 */

export class Prng {
  readonly #s = new Uint32Array(4);

  /** `seed` is any number; equal seeds give equal sequences. */
  constructor(seed = 0) {
    let x = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    // xoshiro's one forbidden state; splitmix32 never yields it in practice, but be certain.
    if ((this.#s[0] | this.#s[1] | this.#s[2] | this.#s[3]) === 0) this.#s[0] = 1;
  }

  /** A uniform uint32. */
  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0];
    const s1 = s[1];
    const t = s1 << 9;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    s[2] ^= s0;
    s[3] ^= s1;
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return r;
  }

  /** A uniform double in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** The four state words, for snapshots. */
  state(): number[] {
    return [...this.#s];
  }

  /** Restores a state taken by `state()` (or another generator's). */
  setState(words: ArrayLike<number>): this {
    for (let i = 0; i < 4; i++) this.#s[i] = words[i] >>> 0;
    return this;
  }

  /** Copies another generator's state into this one (no allocation). */
  copyFrom(other: Prng): this {
    this.#s.set(other.#s);
    return this;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
