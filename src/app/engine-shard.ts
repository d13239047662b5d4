/**
 * Main-thread side of one engine thread of `vigil serve` (./engine-worker.ts): the worker, the
 * calls to it and what it last reported (progress, the offset its last checkpoint committed).
 * The engine is sharded by series over several of these (./engine-thread.ts routes the calls);
 * each reads every committed log entry and scores the points of its own series.
 */
import { type MessagePort, Worker } from 'node:worker_threads';
import { WorkerRpc } from '../adapters/os/worker-rpc.ts';
import type { Config } from '../config/schema.ts';
import type { MaintenanceWindow } from '../core/alerting/maintenance.ts';
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';
import { ERRORS, type ErrorCode, VigilError } from '../core/errors.ts';
import type { FeedbackExample } from '../core/feedback/label.ts';
import type { ModelAssignment } from '../core/models/serving.ts';
import { emptyStats, type RuntimeStats } from '../engine/runtime-stats.ts';
import type { SeriesConfig } from '../ports/meta-store.ts';

/** What one engine thread starts from (its `workerData`). */
export interface EngineShardInit {
  config: Config;
  logPath: string;
  /** This shard's own store (scored points, anomalies, states, checkpoint offset). */
  storePath: string;
  /** The stored per-series configs, as of the start. */
  configs: Map<number, SeriesConfig>;
  /** Ids of deleted series (the catalog's tombstones), as of the start; absent: none. */
  deleted?: number[];
  /**
   * Where the committed log entries arrive from, in offset order: a forward port of the log writer
   * thread (see src/adapters/sqlite/log-worker.ts), as `{ first, batches: Uint8Array[] }`.
   */
  entries: MessagePort;
  /** This thread's shard (0 ≤ shard < shards) and the shard count: see src/engine/shard.ts. */
  shard: number;
  shards: number;
}

/** Calls to the engine thread, each answered by one `reply`. */
export type EngineCall = { id: number; kind: 'call' } & (
  | { op: 'recover'; args: [] }
  // drain/close: first wait for every entry up to this offset (they come over another port).
  | { op: 'drain'; args: [upTo: number] }
  | { op: 'checkpoint'; args: [] }
  | { op: 'close'; args: [upTo: number] }
  | { op: 'points'; args: [seriesId: number, from: number, to: number] }
  | { op: 'downsampled'; args: [seriesId: number, from: number, to: number, maxPoints: number] }
  | { op: 'anomalies'; args: [AnomalyQuery] }
  | { op: 'configOf'; args: [seriesId: number] }
  | { op: 'setConfig'; args: [seriesId: number, config: SeriesConfig] }
  | { op: 'warmStart'; args: [seriesIds: number[]] }
  | { op: 'deleteSeries'; args: [seriesIds: number[]] }
  | { op: 'retain'; args: [seriesIds: Int32Array, cutoffs: Float64Array] }
  | { op: 'feedback'; args: [seriesId: number, examples: FeedbackExample[]] }
  | { op: 'postRuleStates'; args: [seriesId: number] }
  | { op: 'maintenance'; args: [windows: Map<number, MaintenanceWindow[]>] }
  | { op: 'models'; args: [assignments: Map<number, ModelAssignment>, keep: string[]] }
  | { op: 'modelStats'; args: [] }
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

export type Op = EngineCall['op'];
type Reply = Extract<EngineMessage, { kind: 'reply' }>;
export type ArgsOf<O extends Op> = Extract<EngineCall, { op: O }>['args'];

export interface EngineShardDeps {
  init: EngineShardInit;
  /** The log may be truncated up to `upTo` as far as this shard is concerned (its checkpoint). */
  committed: (upTo: number) => void;
  onLog: (level: 'error' | 'warn', msg: string, err: string) => void;
  /** Called once if the thread dies, unless it was closed. */
  failed: (err: Error) => void;
  onAnomalies?: (list: Anomaly[]) => void;
}

export class EngineShard {
  readonly #worker: Worker;
  readonly rpc: WorkerRpc<Reply>;
  /** Set by `end`: the thread's end is then no failure to report. */
  #closed = false;
  /** Points of the committed entries (of this shard's series) the thread has taken off its queue. */
  consumed = 0;
  stats: RuntimeStats = emptyStats();
  seriesCount = 0;

  constructor(deps: EngineShardDeps) {
    this.#worker = new Worker(new URL('./engine-worker.ts', import.meta.url), {
      workerData: deps.init,
      transferList: [deps.init.entries],
    });
    this.rpc = new WorkerRpc<Reply>(this.#worker, {
      name: `engine thread ${deps.init.shard}`,
      isReply: (m): m is Reply => (m as EngineMessage).kind === 'reply',
      onMessage: (message) => {
        const m = message as EngineMessage;
        switch (m.kind) {
          case 'progress':
            this.consumed = m.consumed;
            this.stats = m.stats;
            this.seriesCount = m.seriesCount;
            return;
          case 'truncate':
            deps.committed(m.upTo);
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

  call<O extends Op>(op: O, ...args: ArgsOf<O>): Promise<unknown> {
    return this.send(op, args);
  }

  /** `call` with the arguments as one array. */
  async send(op: Op, args: readonly unknown[]): Promise<unknown> {
    const reply = await this.rpc.call({ kind: 'call', op, args } as Omit<EngineCall, 'id'>);
    return reply.ok ? reply.value : undefined;
  }

  /** Ends the thread (after its `close` call, or because it failed). */
  async end(): Promise<void> {
    this.#closed = true;
    this.rpc.fail(new Error('closed'));
    await this.#worker.terminate();
  }
}

function knownCode(code: string | undefined): ErrorCode {
  return code !== undefined && code in ERRORS ? (code as ErrorCode) : 'VIGIL_ERR_ENGINE';
}
