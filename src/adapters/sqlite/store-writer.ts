/**
 * Main-thread side of the store-writer worker (./store-worker.ts). Requests run one after another
 * in the order sent; `commit` resolves once its transaction is committed, so a read on another
 * connection started after that sees it (a read may see it a little earlier too: see
 * SqliteStoreDb's `#visibleRowid`).
 */
import { Worker } from 'node:worker_threads';
import { VigilError } from '../../core/errors.ts';
import { type PackedCheckpoint, type SpareBuffers, transferablesOf } from './chunk-codec.ts';

type Pending = { resolve: (lastRowid: number) => void; reject: (err: unknown) => void };
type Reply = { id: number; ok: boolean; message?: string; lastRowid?: number; spare?: SpareBuffers };

export class StoreWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 1;
  #failed: Error | null = null;
  #spare: SpareBuffers | undefined;

  constructor(path: string, synchronous: 'full' | 'normal', compactAt?: number) {
    this.#worker = new Worker(new URL('./store-worker.ts', import.meta.url), {
      workerData: { path, synchronous, compactAt },
    });
    this.#worker.on('message', (m: Reply) => {
      if (m.spare !== undefined) this.#spare = m.spare;
      const p = this.#pending.get(m.id);
      if (p === undefined) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.lastRowid ?? 0);
      else p.reject(new VigilError('VIGIL_ERR_STORAGE', `checkpoint failed: ${m.message}`));
    });
    this.#worker.on('error', (err) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`store writer exited with code ${code}`)));
  }

  #fail(err: Error): void {
    this.#failed ??= err;
    for (const p of this.#pending.values()) {
      p.reject(new VigilError('VIGIL_ERR_STORAGE', `store writer failed: ${err.message}`, { cause: err }));
    }
    this.#pending.clear();
  }

  /** Buffers of the last finished commit, to pack the next one into (see SpareBuffers); once. */
  takeSpare(): SpareBuffers | undefined {
    const s = this.#spare;
    this.#spare = undefined;
    return s;
  }

  /**
   * Commits `packed` on the worker; resolves with the rowid of its last chunk row (0: none). Its
   * buffers are transferred: unusable here afterwards.
   */
  commit(packed: PackedCheckpoint): Promise<number> {
    return this.#call({ kind: 'commit', packed }, transferablesOf(packed));
  }

  /** Closes the worker's connection and ends the thread; waits for requests sent before. */
  async close(): Promise<void> {
    if (this.#failed !== null) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    await this.#call({ kind: 'close' }, []);
    await exited;
  }

  #call(msg: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<number> {
    if (this.#failed !== null) {
      return Promise.reject(
        new VigilError('VIGIL_ERR_STORAGE', `store writer failed: ${this.#failed.message}`),
      );
    }
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...msg, id }, transfer);
    });
  }
}
