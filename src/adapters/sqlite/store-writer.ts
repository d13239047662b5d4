/**
 * Main-thread side of the store-writer worker (./store-worker.ts). Requests run one after another
 * in the order sent; `commit` resolves once its transaction is committed, so a read on another
 * connection started after that sees it (a read may see it a little earlier too: see
 * SqliteStoreDb's `#visibleRowid`).
 */
import { Worker } from 'node:worker_threads';
import { VigilError } from '../../core/errors.ts';
import { WorkerRpc } from '../os/worker-rpc.ts';
import { type PackedCheckpoint, type SpareBuffers, transferablesOf } from './chunk-codec.ts';
import type { PruneCounts } from './chunk-pruner.ts';

type Reply = {
  id: number;
  ok: boolean;
  message?: string;
  lastRowid?: number;
  spare?: SpareBuffers;
  pruned?: PruneCounts;
};

/**
 * The largest buffer (each of a commit's two) kept for the next checkpoint to pack into. A bigger
 * one is let go after its commit: reusing it saves page faults, but kept it would hold the
 * largest checkpoint's size for good (~1 KB for each series changed since the last checkpoint, a
 * GB after one checkpoint of 10,000 grown default series: issue 19). Up to this size the
 * saving is kept, at a fixed cost whatever the series count.
 */
export const SPARE_MAX_BYTES = 4 * 1024 * 1024;

export class StoreWriter {
  readonly #worker: Worker;
  readonly #rpc: WorkerRpc<Reply>;
  readonly #spareMax: number;
  #spare: SpareBuffers | undefined;

  /** `spareMaxBytes`: see SPARE_MAX_BYTES. */
  constructor(
    path: string,
    synchronous: 'full' | 'normal',
    compactAt?: number,
    spareMaxBytes = SPARE_MAX_BYTES,
    mergeBudgetRows?: number,
  ) {
    this.#spareMax = spareMaxBytes;
    this.#worker = new Worker(new URL('./store-worker.ts', import.meta.url), {
      workerData: { path, synchronous, compactAt, mergeBudgetRows },
    });
    this.#rpc = new WorkerRpc<Reply>(this.#worker, {
      name: 'store writer',
      onMessage: (m) => {
        const spare = (m as Reply).spare;
        if (spare !== undefined) this.#keepSpare(spare);
      },
      refused: (m) => new VigilError('VIGIL_ERR_STORAGE', `checkpoint failed: ${m.message}`),
      dead: (err) =>
        new VigilError('VIGIL_ERR_STORAGE', `store writer failed: ${err.message}`, { cause: err }),
    });
  }

  /** Keeps the buffers no bigger than #spareMax; a bigger one is dropped here, freed by a scavenge. */
  #keepSpare(spare: SpareBuffers): void {
    const chunks =
      spare.chunks !== undefined && spare.chunks.byteLength <= this.#spareMax ? spare.chunks : undefined;
    const states =
      spare.states !== undefined && spare.states.byteLength <= this.#spareMax ? spare.states : undefined;
    this.#spare = chunks === undefined && states === undefined ? undefined : { chunks, states };
  }

  /**
   * Buffers of the last finished commit no bigger than SPARE_MAX_BYTES, to pack the next one into
   * (see SpareBuffers); once.
   */
  takeSpare(): SpareBuffers | undefined {
    const s = this.#spare;
    this.#spare = undefined;
    return s;
  }

  /**
   * Commits `packed` on the worker; resolves with the rowid of its last chunk row (0: none). Its
   * buffers are transferred: unusable here afterwards.
   */
  async commit(packed: PackedCheckpoint): Promise<number> {
    const reply = await this.#rpc.call({ kind: 'commit', packed }, transferablesOf(packed));
    return reply.lastRowid ?? 0;
  }

  /** Deletes the series' chunks, anomalies and state on the worker, after the requests sent before. */
  async deleteSeries(ids: Int32Array): Promise<PruneCounts> {
    return (await this.#rpc.call({ kind: 'deleteSeries', ids })).pruned!;
  }

  /** Retention (see ChunkPruner.retain) on the worker, after the requests sent before. */
  async retain(ids: Int32Array, cutoffs: Float64Array): Promise<PruneCounts> {
    return (await this.#rpc.call({ kind: 'retain', ids, cutoffs })).pruned!;
  }

  /** Closes the worker's connection and ends the thread; waits for requests sent before. */
  async close(): Promise<void> {
    if (this.#rpc.failed !== null) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    await this.#rpc.call({ kind: 'close' });
    await exited;
  }
}
