/**
 * A progress bar for long CLI work, on stderr. On a terminal it redraws one line; elsewhere (CI,
 * pipes) it prints a line at every 10 % so logs stay short.
 */
export class Progress {
  readonly #total: number;
  readonly #label: string;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  #done = 0;
  #lastDraw = 0;
  #lastDecile = -1;

  constructor(label: string, total: number, stream: NodeJS.WriteStream = process.stderr) {
    this.#label = label;
    this.#total = Math.max(1, total);
    this.#stream = stream;
  }

  tick(n = 1): void {
    this.#done += n;
    const now = performance.now();
    if (this.#stream.isTTY) {
      if (now - this.#lastDraw > 100 || this.#done >= this.#total) {
        this.#lastDraw = now;
        this.#stream.write(`\r${this.#line(now)}`);
      }
    } else {
      const decile = Math.floor((this.#done / this.#total) * 10);
      if (decile !== this.#lastDecile) {
        this.#lastDecile = decile;
        this.#stream.write(`${this.#line(now)}\n`);
      }
    }
  }

  finish(): void {
    if (this.#stream.isTTY) this.#stream.write(`\r${this.#line(performance.now())}\n`);
  }

  #line(now: number): string {
    const frac = Math.min(1, this.#done / this.#total);
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = (now - this.#started) / 1000;
    const rate = secs > 0 ? this.#done / secs : 0;
    const eta = rate > 0 ? (this.#total - this.#done) / rate : 0;
    return (
      `${this.#label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${this.#done}/${this.#total} ${formatRate(rate)}/s ETA ${eta.toFixed(0)}s`
    );
  }
}

function formatRate(r: number): string {
  if (r >= 1e6) return `${(r / 1e6).toFixed(2)}M`;
  if (r >= 1e3) return `${(r / 1e3).toFixed(1)}k`;
  return r.toFixed(0);
}
