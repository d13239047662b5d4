/**
 * A query's time budget. Selector matching walks every series on the main thread; the walk yields
 * to the event loop every slice so that other requests (health probes, ingest) keep being served,
 * and it stops as soon as the client has gone away or the budget (`http.queryTimeoutMs`) is spent.
 */
import type { FastifyRequest } from 'fastify';
import { VigilError } from '../../core/errors.ts';

/** Items examined between two yields to the event loop. */
const SLICE = 2048;

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class QueryBudget {
  readonly #deadline: number;
  readonly #timeoutMs: number;
  readonly #req: FastifyRequest;

  constructor(req: FastifyRequest, timeoutMs: number) {
    this.#req = req;
    this.#timeoutMs = timeoutMs;
    this.#deadline = performance.now() + timeoutMs;
  }

  /** Calls `visit` for each item until it returns false; throws once the budget is spent. */
  async scan<T>(items: Iterable<T>, visit: (item: T) => boolean | undefined): Promise<void> {
    let n = 0;
    for (const item of items) {
      if (visit(item) === false) return;
      if (++n % SLICE === 0) {
        await yieldToLoop();
        this.check();
      }
    }
  }

  /** Throws VIGIL_ERR_QUERY_TIMEOUT once the budget is spent or the client is gone. */
  check(): void {
    // A client that went away leaves its socket destroyed once the loop has seen the FIN.
    if (this.#req.raw.socket?.destroyed === true)
      throw new VigilError('VIGIL_ERR_QUERY_TIMEOUT', 'the client closed the connection');
    if (performance.now() > this.#deadline) {
      throw new VigilError(
        'VIGIL_ERR_QUERY_TIMEOUT',
        `the query ran past http.queryTimeoutMs (${this.#timeoutMs} ms); narrow the selector or the range`,
      );
    }
  }
}
