/**
 * Exponentially weighted mean and standard deviation, kept as sd (not variance) so that values up
 * to ±1e306 never overflow. During warm-up the weight is 1/n, so the first points are averaged
 * rather than the first one dominating. Callers tame() their inputs.
 */
import { hypot2 } from './finite.ts';

export class EwMoments {
  n: number;
  mean: number;
  sd: number;

  constructor(n = 0, mean = 0, sd = 0) {
    this.n = n;
    this.mean = mean;
    this.sd = sd;
  }

  update(x: number, alpha: number): void {
    if (this.n === 0) {
      this.mean = x;
      this.sd = 0;
    } else {
      const a = Math.max(alpha, 1 / (this.n + 1));
      const d = x - this.mean;
      this.mean += a * d;
      // var' = (1 − a)(var + a·d²), in sd form.
      this.sd = Math.sqrt(1 - a) * hypot2(this.sd, Math.sqrt(a) * d);
    }
    this.n++;
  }

  toJSON(): [number, number, number] {
    return [this.n, this.mean, this.sd];
  }

  static from(data: [number, number, number] | undefined): EwMoments {
    return data === undefined ? new EwMoments() : new EwMoments(data[0], data[1], data[2]);
  }
}
