/**
 * The calling side of a worker thread that answers requests: a request goes out with a fresh `id`,
 * the worker answers it with one reply carrying that id and `ok`, and the reply settles it. The
 * embedded server's threads (the log writer, the store writer, the engine thread) all talk this
 * way; this is the one copy of the bookkeeping.
 *
 * Once the thread fails (an uncaught error, or an exit it was not asked for) every pending call
 * and every later one rejects with `dead(cause)`; the first failure is the one reported.
 */
import type { Transferable, Worker } from 'node:worker_threads';

/** What a reply carries at least; a worker may add fields (a result, a code). */
export interface RpcReply {
  id: number;
  ok: boolean;
  message?: string;
}

export interface WorkerRpcOptions<R extends RpcReply> {
  /** The thread in messages: `<name> exited with code 1`. */
  name: string;
  /** The error a refused request (a reply with `ok: false`) rejects with. */
  refused(reply: R): Error;
  /** The error pending and later calls reject with once the thread failed. */
  dead(cause: Error): Error;
  /** Whether a message is a reply; default: it has a numeric `id`. */
  isReply?(message: unknown): message is R;
  /** Every message, before a reply settles its call: the thread's own reports, or extras on replies. */
  onMessage?(message: unknown): void;
  /** Called once, when the thread fails. */
  onFailure?(cause: Error): void;
  /** Whether an exit with code 0 is a failure too (a thread that ends only when told). Default true. */
  cleanExitFails?: boolean;
}

const hasId = (m: unknown): m is RpcReply =>
  typeof m === 'object' && m !== null && typeof (m as { id?: unknown }).id === 'number';

export class WorkerRpc<R extends RpcReply = RpcReply> {
  readonly #worker: Worker;
  readonly #opts: WorkerRpcOptions<R>;
  readonly #pending = new Map<number, { resolve: (r: R) => void; reject: (err: unknown) => void }>();
  #next = 1;
  #failed: Error | null = null;

  constructor(worker: Worker, opts: WorkerRpcOptions<R>) {
    this.#worker = worker;
    this.#opts = opts;
    const isReply = opts.isReply ?? (hasId as (m: unknown) => m is R);
    worker.on('message', (m: unknown) => {
      opts.onMessage?.(m);
      if (!isReply(m)) return;
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m);
      else p.reject(opts.refused(m));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (code !== 0 || opts.cleanExitFails !== false)
        this.fail(new Error(`${opts.name} exited with code ${code}`));
    });
  }

  /** The failure that ended the thread, or null while it runs. */
  get failed(): Error | null {
    return this.#failed;
  }

  /** Sends `{ ...msg, id }`, moving `transfer`; resolves with the worker's reply. */
  call(msg: object, transfer: readonly Transferable[] = []): Promise<R> {
    if (this.#failed !== null) return Promise.reject(this.#opts.dead(this.#failed));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...msg, id }, transfer as Transferable[]);
    });
  }

  /** Marks the thread failed (also for an ending the owner chose, so later calls reject). */
  fail(cause: Error): void {
    if (this.#failed !== null) return;
    this.#failed = cause;
    for (const p of this.#pending.values()) p.reject(this.#opts.dead(cause));
    this.#pending.clear();
    this.#opts.onFailure?.(cause);
  }
}
