/**
 * Neumaier's compensated summation. Scores are sums of many small terms whose order differs
 * between a full rescoring and an incremental sweep; compensation makes both agree to the last
 * bits, so exact ties between thresholds stay ties.
 */
export class CompensatedSum {
  #sum = 0;
  #compensation = 0;

  add(x: number): void {
    const t = this.#sum + x;
    if (Math.abs(this.#sum) >= Math.abs(x)) this.#compensation += this.#sum - t + x;
    else this.#compensation += x - t + this.#sum;
    this.#sum = t;
  }

  get value(): number {
    return this.#sum + this.#compensation;
  }
}
