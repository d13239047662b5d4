/**
 * Main-thread side of the embedded engine thread (./engine-worker.ts). Ingest batches are made
 * durable here (group commit onto the log, whose own writer thread does the fsyncs) and each
 * request is answered as soon as its entry is durable; the committed entries are then sent to the
 * engine thread, which scores them, stores the scored points and anomalies and checkpoints.
 * Queries that need the engine's output (points, anomalies, configs) are calls to that thread.
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import { WorkerRpc } from '../adapters/os/worker-rpc.ts';
import type { Config } from '../config/schema.ts';
import type { MaintenanceWindow } from '../core/alerting/maintenance.ts';
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';
import { ERRORS, type ErrorCode, VigilError } from '../core/errors.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import type { StageState } from '../core/pipeline/stage.ts';
import type { ScoredPoint } from '../core/point.ts';
import { PointColumns } from '../core/point-columns.ts';
import { GroupCommit } from '../engine/group-commit.ts';
import { emptyStats, type RuntimeStats } from '../engine/runtime-stats.ts';
import type { StoredDeletion } from '../ports/checkpoint-store.ts';
import type { Log, PointBatch } from '../ports/log.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';
import type { BatchSink } from './ingest-service.ts';

export interface EngineThreadInit {
  config: Config;
  logPath: string;
  storePath: string;
  /** The stored per-series configs, as of the start. */
  configs: Map<number, SeriesConfig>;
  /** Ids of deleted series (the catalog's tombstones), as of the start; absent: none. */
  deleted?: number[];
  /**
   * Where the committed log entries arrive from, in offset order: the log writer thread's forward
   * port (see src/adapters/sqlite/log-worker.ts), as `{ first, batches: Uint8Array[] }`.
   */
  entries: MessagePort;
}

/** Calls to the engine thread, each answered by one `reply`. */
export type EngineCall = { id: number; kind: 'call' } & (
  | { op: 'recover'; args: [] }
  // drain/close: first wait for every entry up to this offset (they come over another port).
  | { op: 'drain'; args: [upTo: number] }
  | { op: 'checkpoint'; args: [] }
  | { op: 'close'; args: [upTo: number] }
  | { op: 'points'; args: [seriesId: number, from: number, to: number] }
  | { op: 'anomalies'; args: [AnomalyQuery] }
  | { op: 'configOf'; args: [seriesId: number] }
  | { op: 'setConfig'; args: [seriesId: number, config: SeriesConfig] }
  | { op: 'deleteSeries'; args: [seriesIds: number[]] }
  | { op: 'retain'; args: [seriesIds: Int32Array, cutoffs: Float64Array] }
  | { op: 'feedback'; args: [seriesId: number, examples: FeedbackExample[]] }
  | { op: 'postRuleStates'; args: [seriesId: number] }
  | { op: 'maintenance'; args: [windows: Map<number, MaintenanceWindow[]>] }
);

/** Engine thread → main thread. */
export type EngineMessage =
  | { kind: 'reply'; id: number; ok: true; value: unknown }
  | { kind: 'reply'; id: number; ok: false; message: string; code: string | undefined }
  | { kind: 'progress'; consumed: number; stats: RuntimeStats; seriesCount: number }
  | { kind: 'truncate'; upTo: number }
  | { kind: 'log'; level: 'error' | 'warn'; msg: string; err: string }
  /** Anomaly changes of one slice, as made (not yet durable), for the alerter. */
  | { kind: 'anomalies'; list: Anomaly[] };

type Op = EngineCall['op'];
type Reply = Extract<EngineMessage, { kind: 'reply' }>;
type ArgsOf<O extends Op> = Extract<EngineCall, { op: O }>['args'];

export interface EngineThreadDeps {
  init: EngineThreadInit;
  /** The log the main thread appends to (and truncates when the engine thread says). */
  log: Log;
  /** Messages the engine thread logs. */
  onLog: (level: 'error' | 'warn', msg: string, err: string) => void;
  /** Called once if the thread dies; nothing is scored after that. */
  failed: (err: Error) => void;
  /** Every anomaly change as the engine makes it, latest form per run and slice (the alerter's feed). */
  onAnomalies?: (list: Anomaly[]) => void;
}

export class EngineThread implements BatchSink {
  readonly #worker: Worker;
  readonly #commits: GroupCommit;
  readonly #log: Log;
  readonly #rpc: WorkerRpc<Reply>;
  /** Set by `close`: the thread's end is then no failure to report. */
  #closed = false;
  /** Points of the committed entries the engine thread has taken off its queue. */
  #consumed = 0;
  #stats: RuntimeStats = emptyStats();
  #seriesCount = 0;
  /** Offset of the last entry made durable (the engine thread gets it from the log writer). */
  #committedOffset = 0;

  constructor(deps: EngineThreadDeps) {
    this.#log = deps.log;
    this.#worker = new Worker(new URL('./engine-worker.ts', import.meta.url), {
      workerData: deps.init,
      transferList: [deps.init.entries],
    });
    // The log writer thread sends the committed entries to the engine thread itself.
    this.#commits = new GroupCommit(
      deps.log,
      (fn) => setImmediate(fn),
      (entries) => {
        this.#committedOffset = entries[entries.length - 1]!.offset;
      },
    );
    this.#rpc = new WorkerRpc<Reply>(this.#worker, {
      name: 'engine thread',
      isReply: (m): m is Reply => (m as EngineMessage).kind === 'reply',
      onMessage: (message) => {
        const m = message as EngineMessage;
        switch (m.kind) {
          case 'progress':
            this.#consumed = m.consumed;
            this.#stats = m.stats;
            this.#seriesCount = m.seriesCount;
            return;
          case 'truncate':
            this.#log
              .truncate(m.upTo)
              .catch((err: Error) => deps.onLog('warn', 'log truncation failed', err.message));
            return;
          case 'log':
            deps.onLog(m.level, m.msg, m.err);
            return;
          case 'anomalies':
            deps.onAnomalies?.(m.list);
            return;
        }
      },
      refused: (m) => new VigilError(knownCode(m.ok ? undefined : m.code), m.ok ? '' : m.message),
      dead: (err) => new VigilError('VIGIL_ERR_ENGINE', `the engine thread failed: ${err.message}`),
      onFailure: (err) => {
        if (!this.#closed) deps.failed(err);
      },
    });
  }

  async #call<O extends Op>(op: O, ...args: ArgsOf<O>): Promise<unknown> {
    const reply = await this.#rpc.call({ kind: 'call', op, args } as Omit<EngineCall, 'id'>);
    return reply.ok ? reply.value : undefined;
  }

  /** Restores the last checkpoint and replays the log after it; then checkpoints run on the interval. */
  recover(): Promise<{ offset: number; replayedEntries: number }> {
    return this.#call('recover') as Promise<{ offset: number; replayedEntries: number }>;
  }

  /** Resolves once the batch is durable in the log; the engine thread scores it after. */
  submit(batch: PointBatch): Promise<void> {
    const failed = this.#rpc.failed;
    if (failed !== null) {
      return Promise.reject(
        new VigilError('VIGIL_ERR_ENGINE', `the engine thread failed: ${failed.message}`),
      );
    }
    return this.#commits.submit(batch);
  }

  /** Points durable but not yet scored (as of the engine thread's last report, ≤ 20 ms old). */
  get lagPoints(): number {
    return this.#commits.pointsCommitted - this.#consumed;
  }

  /** The engine's counters as last reported; `pointsAccepted` counts what was made durable here. */
  get stats(): RuntimeStats {
    return { ...this.#stats, pointsAccepted: this.#commits.pointsCommitted };
  }

  /** Series the engine holds state for (as last reported). */
  get seriesCount(): number {
    return this.#seriesCount;
  }

  /** Resolves when every point submitted so far is durable and scored. */
  async drain(): Promise<void> {
    while (this.#commits.busy) await new Promise((r) => setImmediate(r));
    await this.#call('drain', this.#committedOffset);
  }

  async checkpoint(): Promise<void> {
    await this.#call('checkpoint');
  }

  /** Scored points with from ≤ ts < to, stored and not yet stored, by time. */
  async points(seriesId: number, from: number, to: number): Promise<ScoredPoint[]> {
    const r = (await this.#call('points', seriesId, from, to)) as { buffer: ArrayBuffer; length: number };
    const cols = PointColumns.wrap(r.buffer, r.length);
    const out: ScoredPoint[] = new Array(r.length);
    for (let i = 0; i < r.length; i++) out[i] = cols.at(i);
    return out;
  }

  anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    return this.#call('anomalies', q) as Promise<Anomaly[]>;
  }

  configOf(seriesId: number): Promise<SeriesConfig> {
    return this.#call('configOf', seriesId) as Promise<SeriesConfig>;
  }

  /** Applies a (stored) config change between two engine slices: the series starts afresh. */
  async setConfig(seriesId: number, config: SeriesConfig): Promise<void> {
    await this.#call('setConfig', seriesId, config);
  }

  /**
   * Deletes the series' state, buffered output and stored points, anomalies and state (after the
   * catalog made the deletion durable: see ./engine-worker.ts).
   */
  deleteSeries(seriesIds: number[]): Promise<StoredDeletion> {
    return this.#call('deleteSeries', seriesIds) as Promise<StoredDeletion>;
  }

  /** Retention of series `seriesIds[i]` before `cutoffs[i]` (SqliteStoreDb.retain), on the store's writer. */
  retain(seriesIds: Int32Array, cutoffs: Float64Array): Promise<StoredDeletion> {
    return this.#call('retain', seriesIds, cutoffs) as Promise<StoredDeletion>;
  }

  /**
   * Sets a series' feedback (every label, oldest first) between two engine slices: its pipeline's
   * feedback stage learns it; the series keeps the rest of its state.
   */
  async feedback(seriesId: number, examples: FeedbackExample[]): Promise<void> {
    await this.#call('feedback', seriesId, examples);
  }

  /** The post-rule states of the series' running pipeline; undefined before its first point. */
  postRuleStates(seriesId: number): Promise<StageState[] | undefined> {
    return this.#call('postRuleStates', seriesId) as Promise<StageState[] | undefined>;
  }

  /** Sets the maintenance windows of every series (Engine.setMaintenance) between two engine slices. */
  async setMaintenance(windows: Map<number, MaintenanceWindow[]>): Promise<void> {
    await this.#call('maintenance', windows);
  }

  /** Waits for pending commits, drains and checkpoints the engine, and ends the thread. */
  async close(): Promise<void> {
    if (this.#rpc.failed === null) {
      while (this.#commits.busy) await new Promise((r) => setImmediate(r));
      await this.#call('close', this.#committedOffset);
    }
    this.#closed = true;
    this.#rpc.fail(new Error('closed'));
    await this.#worker.terminate();
  }
}

function knownCode(code: string | undefined): ErrorCode {
  return code !== undefined && code in ERRORS ? (code as ErrorCode) : 'VIGIL_ERR_ENGINE';
}
