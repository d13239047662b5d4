/** The maximum of the last `size` values pushed (a ring; size is small, tens of points). */
export class RecentMax {
  readonly #ring: Float64Array;
  #head = 0;

  constructor(size: number, data?: readonly number[]) {
    this.#ring = new Float64Array(Math.max(1, size));
    if (data !== undefined) {
      const from = Math.max(0, data.length - this.#ring.length);
      for (let i = from; i < data.length; i++) this.push(data[i]!);
    }
  }

  /** The maximum of the stored values and `next`, as if `next` were pushed (no state change). */
  peek(next: number): number {
    let m = next;
    for (let i = 0; i < this.#ring.length; i++) if (this.#ring[i]! > m) m = this.#ring[i]!;
    return m;
  }

  push(value: number): void {
    this.#ring[this.#head] = value;
    this.#head = (this.#head + 1) % this.#ring.length;
  }

  /** Oldest first. The ring starts as zeros, which never raise a maximum of scores in [0, 1]. */
  toJSON(): number[] {
    const n = this.#ring.length;
    return Array.from({ length: n }, (_, i) => this.#ring[(this.#head + i) % n]!);
  }
}
