/**
 * The shape every scaled-out poll of PostgreSQL shares (deleted series, feedback labels): a cursor
 * over changes committed in order, one round every `engine.configPollMs`, a round asked for while
 * one runs joining it, a failed round retried at the next tick. Subclasses say where the cursor
 * starts and what a round does; a round moves `cursor` only once what it read is applied.
 */
export abstract class CursorPoll {
  /** The last change applied; a round reads what comes after it. */
  protected cursor = 0;
  readonly #failed: (err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | null = null;

  constructor(failed: (err: unknown) => void) {
    this.#failed = failed;
  }

  /** Where the cursor starts: after the changes that exist now. */
  protected abstract lastChange(): Promise<number>;

  /** One round: applies what changed after `cursor`, moving it; resolves with how much it applied. */
  protected abstract round(): Promise<number>;

  /** Starts after the changes that exist now and polls every `intervalMs`. */
  async start(intervalMs: number): Promise<void> {
    this.cursor = await this.lastChange();
    this.#timer = setInterval(() => {
      this.poll().catch(this.#failed);
    }, intervalMs);
    this.#timer.unref();
  }

  /** One round now (joins the one running); resolves with how much it applied. */
  poll(): Promise<number> {
    this.#running ??= this.round().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Stops polling and waits for a round in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => {});
  }
}
