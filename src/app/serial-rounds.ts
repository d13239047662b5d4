/**
 * The rounds of a poll that run one after another (maintenance windows, served models): `run()`
 * queues a round behind any in flight, so a change seen during a round gets a round of its own;
 * `every` starts a round each interval unless one is in flight, so a slow backend never piles
 * rounds up. (CursorPoll differs on purpose: a round asked for there joins the one running.)
 */
export class SerialRounds<T> {
  readonly #round: () => Promise<T>;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #inFlight = 0;

  constructor(round: () => Promise<T>) {
    this.#round = round;
  }

  /** A round after any in flight; resolves or rejects with it. */
  run(): Promise<T> {
    this.#inFlight++;
    const round = this.#chain.then(() => this.#round());
    this.#chain = round.catch(() => {}).finally(() => this.#inFlight--);
    return round;
  }

  /** A round every `intervalMs` while none is in flight; a failed one goes to `failed`. */
  every(intervalMs: number, failed: (err: unknown) => void): void {
    this.#timer = setInterval(() => {
      if (this.#inFlight === 0) this.run().catch(failed);
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for the rounds in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#chain;
  }
}
