/**
 * Two CPython 2 details that decide ties in CAD OSE's stored NAB results (detectors.md §2.5):
 * the 64-bit tuple hash of a tuple of non-negative ints, and the iteration order of a dict with
 * int keys. Emulating them makes the outputs equal NAB's row for row; without them about 0.06%
 * of rows differ (the NAB score does not).
 */

const TWO32 = 4294967296;

/** CPython 2's hash of a tuple of ints in [0, 2³²), as a signed 64-bit pair (hi signed, lo unsigned). */
export function pyTupleHash(items: ArrayLike<number>): [hi: number, lo: number] {
  let hi = 0;
  let lo = 0x345678;
  let mult = 1000003;
  const n = items.length;
  for (let k = 0; k < n; k++) {
    lo = (lo ^ items[k]!) >>> 0;
    // x·mult mod 2⁶⁴ with a multiplier below 2²²: the low word's product is exact in a double.
    const p = lo * mult;
    const pLo = p % TWO32;
    hi = (Math.imul(hi, mult) + (p - pLo) / TWO32) >>> 0;
    lo = pLo;
    mult += 82520 + 2 * (n - 1 - k);
  }
  lo += 97531;
  if (lo >= TWO32) {
    lo -= TWO32;
    hi = (hi + 1) >>> 0;
  }
  if (hi === 0xffffffff && lo === 0xffffffff) lo = 0xfffffffe;
  return [hi | 0, lo];
}

/** Signed 64-bit comparison of two hashes given as (hi, lo) pairs. */
export function compareHash(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return aHi !== bHi ? aHi - bHi : aLo - bLo;
}

/** An empty slot in `PyIntDict.keys`. */
export const EMPTY = -1;

/**
 * A map from non-negative int keys to ints that iterates in CPython 2 dict order: open addressing
 * from 8 slots, probe `i = 5i + perturb + 1`, resize when two thirds full. Insert-only.
 */
export class PyIntDict {
  #keys: Int32Array;
  #values: Int32Array;
  #used = 0;

  constructor() {
    this.#keys = new Int32Array(8).fill(EMPTY);
    this.#values = new Int32Array(8);
  }

  get size(): number {
    return this.#used;
  }

  get(key: number): number | undefined {
    const i = this.#slot(this.#keys, key);
    return this.#keys[i] === EMPTY ? undefined : this.#values[i];
  }

  /** Inserts or overwrites. */
  set(key: number, value: number): void {
    const i = this.#slot(this.#keys, key);
    this.#values[i] = value;
    if (this.#keys[i] === key) return;
    this.#keys[i] = key;
    this.#used++;
    // No deletions ever happen, so fill == used.
    if (this.#used * 3 >= this.#keys.length * 2) this.#resize((this.#used > 50000 ? 2 : 4) * this.#used);
  }

  /**
   * The slot arrays, for iteration in CPython 2 order without a callback: walk `keys` from slot 0
   * and skip `EMPTY`. Read-only for callers; valid until the next `set`.
   */
  get keys(): Int32Array {
    return this.#keys;
  }

  get values(): Int32Array {
    return this.#values;
  }

  #slot(keys: Int32Array, key: number): number {
    const mask = keys.length - 1;
    let i = key & mask;
    let perturb = key;
    while (keys[i] !== EMPTY && keys[i] !== key) {
      i = (5 * i + perturb + 1) & mask;
      perturb >>>= 5;
    }
    return i;
  }

  #resize(minUsed: number): void {
    let size = 8;
    while (size <= minUsed) size <<= 1;
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    this.#keys = new Int32Array(size).fill(EMPTY);
    this.#values = new Int32Array(size);
    for (let j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] === EMPTY) continue;
      const i = this.#slot(this.#keys, oldKeys[j]!);
      this.#keys[i] = oldKeys[j]!;
      this.#values[i] = oldValues[j]!;
    }
  }
}
