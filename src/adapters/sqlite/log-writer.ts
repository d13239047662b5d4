/** Main-thread side of the log-writer worker (./log-worker.ts): requests run in the order sent. */
import { type MessagePort, Worker } from 'node:worker_threads';
import { VigilError } from '../../core/errors.ts';
import { WorkerRpc } from '../os/worker-rpc.ts';

export class LogWriter {
  readonly #worker: Worker;
  readonly #rpc: WorkerRpc;

  /** `forward`: where the worker sends each committed append's entries (see log-worker.ts). */
  constructor(path: string, synchronous: 'full' | 'normal', forward: MessagePort[] = []) {
    this.#worker = new Worker(new URL('./log-worker.ts', import.meta.url), {
      workerData: { path, synchronous, forward },
      transferList: forward,
    });
    this.#rpc = new WorkerRpc(this.#worker, {
      name: 'log writer',
      refused: (m) => new VigilError('VIGIL_ERR_STORAGE', `log write failed: ${m.message}`),
      dead: (err) => new VigilError('VIGIL_ERR_STORAGE', `log writer failed: ${err.message}`, { cause: err }),
      cleanExitFails: false,
    });
  }

  async call(msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<void> {
    await this.#rpc.call(msg, transfer);
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
