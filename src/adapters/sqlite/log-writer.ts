/** Main-thread side of the log-writer worker (./log-worker.ts): one request in flight at a time. */
import { type MessagePort, Worker } from 'node:worker_threads';
import { VigilError } from '../../core/errors.ts';

type Pending = { resolve: () => void; reject: (err: unknown) => void };

export class LogWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #failed: Error | null = null;

  /** `forward`: where the worker sends each committed append's entries (see log-worker.ts). */
  constructor(path: string, synchronous: 'full' | 'normal', forward?: MessagePort) {
    this.#worker = new Worker(new URL('./log-worker.ts', import.meta.url), {
      workerData: { path, synchronous, forward },
      transferList: forward === undefined ? [] : [forward],
    });
    this.#worker.on('message', (m: { id: number; ok: boolean; message?: string }) => {
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve();
      else p.reject(new VigilError('VIGIL_ERR_STORAGE', `log write failed: ${m.message}`));
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => {
      if (code !== 0) this.#fail(new Error(`log writer exited with code ${code}`));
    });
  }

  #fail(err: Error): void {
    this.#failed = err;
    for (const p of this.#pending.values()) {
      p.reject(new VigilError('VIGIL_ERR_STORAGE', `log writer failed: ${err.message}`, { cause: err }));
    }
    this.#pending.clear();
  }

  call(msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<void> {
    if (this.#failed !== null) {
      return Promise.reject(
        new VigilError('VIGIL_ERR_STORAGE', `log writer failed: ${this.#failed.message}`),
      );
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...msg, id }, transfer);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
