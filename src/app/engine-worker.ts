/**
 * An engine thread of `vigil serve` (a worker; ./engine-shard.ts is its main-thread side): a
 * TaskHost running the one DetectionTask of the embedded log over this thread's shard of the series
 * (src/engine/shard.ts: it keeps only their points of each entry), its own scored-point store
 * (`store.db`, `store-<shard>.db`) and its checkpoints. The main thread parses requests and makes them durable in the log; the log
 * writer thread sends the committed entries here (`init.entries`) in offset order, and they are
 * scored here, so scoring and checkpoint serialisation never hold up the event loop that answers
 * requests. A committed checkpoint tells the main thread to truncate the log up to its offset.
 *
 * Deleting series: the main thread first makes the deletion durable in log.db (tombstones), then
 * asks here; this thread forgets the series and deletes their rows in store.db. Recovery repeats
 * the delete for every tombstone (a crash may have come between the two) and drops their points
 * from the replay, so a deleted series never comes back.
 *
 * Messages: EngineCall in, EngineMessage out (./engine-shard.ts).
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../adapters/os/thread-priority.ts';
import { openDatabase } from '../adapters/sqlite/database.ts';
import { SqliteLogReader } from '../adapters/sqlite/log.ts';
import { SqliteStoreDb } from '../adapters/sqlite/store-db.ts';
import { type Anomaly, selectAnomalies } from '../core/anomaly.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { batchOf } from '../core/point-batch-codec.ts';
import { PointColumns } from '../core/point-columns.ts';
import { DetectionTask } from '../engine/detection-task.ts';
import { Engine } from '../engine/engine.ts';
import { ownedPoints } from '../engine/shard.ts';
import { TaskHost } from '../engine/task-host.ts';
import type { LogEntry } from '../ports/log.ts';
import { readDownsampled } from './downsampled-read.ts';
import type { EngineCall, EngineMessage, EngineShardInit } from './engine-shard.ts';
import { realHostTime } from './host-time.ts';
import { defaultSeriesConfig } from './series-config.ts';
import { warmStart, withUnflushed } from './warm-start.ts';

/** How often the thread reports its progress (scored counts, lag) to the main thread at most. */
const PROGRESS_EVERY_MS = 20;

const init = workerData as EngineShardInit;
lowerThreadPriority(5);
const port = parentPort!;
const post = (m: EngineMessage, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const registry = builtinDetectors();
const engine = new Engine({
  registry,
  defaults: defaultSeriesConfig(init.config, registry),
  allowedLatenessMs: init.config.engine.allowedLatenessMs,
  primeReplayMax: init.config.models.warmStartPoints,
});
engine.loadConfigs(init.configs);
// Deleted series (the catalog's tombstones): their points still in the log are dropped on replay.
const deleted = init.deleted ?? [];
engine.deleteSeries(deleted);
const reader = new SqliteLogReader(openDatabase(init.logPath, init.config.storage.synchronous));
// The log is truncated once a checkpoint is committed, so under `storage.synchronous: full` a
// checkpoint must survive power loss too (fsynced), or the points it holds would be in neither.
const store = new SqliteStoreDb(openDatabase(init.storePath, 'normal'), {
  kind: 'worker',
  path: init.storePath,
  synchronous: init.config.storage.synchronous,
});
/** The embedded log is one partition. */
const PARTITION = 0;
/** Entries read per step of the replay after a restart. */
const REPLAY_BATCH = 1000;
/** Anomaly changes made since the last post to the main thread (its alerter), latest form per run. */
let observed = new Map<string, Anomaly>();
function observe(a: Anomaly): void {
  if (observed.size === 0) {
    // After the slice that made it: one message carries every change of the slice.
    setImmediate(() => {
      const list = [...observed.values()];
      observed = new Map();
      post({ kind: 'anomalies', list });
    });
  }
  observed.set(`${a.seriesId}:${a.start}`, a);
}
const task = new DetectionTask({
  engine,
  checkpoints: store,
  observe,
  flushAt: init.config.engine.flushPoints,
  checkpointIntervalMs: init.config.engine.checkpointIntervalMs,
});
const host = new TaskHost({
  newTask: () => task,
  time: realHostTime,
  // The main thread appends (group commit) and truncates the log; this thread only reads it.
  committed: (_partition, upTo) => post({ kind: 'truncate', upTo }),
  punctuationFailed: (_partition, err) =>
    post({ kind: 'log', level: 'error', msg: 'checkpoint failed; will retry', err: (err as Error).message }),
});

/** Points (of this shard's series) of the entries received from the log writer thread. */
let received = 0;
/** Entries received until the replay after a restart is done; delivered after it, in order. */
let held: LogEntry[] | null = [];
let lastReported = -1;
function report(): void {
  // Replayed entries are not the log writer's: lag and consumption count from the end of the replay.
  if (held !== null) return;
  const s = task.stats;
  const sum = s.pointsScored + s.rejected.too_late + s.rejected.duplicate + s.checkpoints + received;
  if (sum === lastReported) return;
  lastReported = sum;
  post({
    kind: 'progress',
    consumed: received - host.lagPoints(),
    stats: { ...s, pointsAccepted: host.acceptedPoints(), rejected: { ...s.rejected } },
    seriesCount: task.seriesCount,
  });
}
const progress = setInterval(report, PROGRESS_EVERY_MS);
/** Offset of the last entry received from the log writer. */
let receivedOffset = 0;

/**
 * Resolves once the entries up to `offset` have arrived: the main thread learns that an entry is
 * durable on one port, and this thread receives it on another, so a call can overtake it.
 */
async function arrived(offset: number): Promise<void> {
  while (receivedOffset < offset && host.offsetOf(PARTITION) < offset) await yieldTurn();
}

async function answer(req: EngineCall): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (req.op) {
    case 'recover':
      return { value: await recover() };
    case 'drain':
      await arrived(req.args[0]);
      await host.drain();
      report();
      return { value: null };
    case 'checkpoint':
      await task.checkpoint();
      report();
      return { value: null };
    case 'points': {
      const [sid, from, to] = req.args;
      const all = await storedAndUnflushed(sid, from, to);
      const cols = PointColumns.of(all);
      return { value: { buffer: cols.buffer, length: cols.length }, transfer: [cols.buffer] };
    }
    case 'downsampled': {
      // Downsampled here, over columns: only what the chart keeps crosses to the main thread.
      const [sid, from, to, maxPoints] = req.args;
      const tail = PointColumns.of(task.unflushed(sid, from, to));
      const { total, kept } = await readDownsampled(store, tail, sid, from, to, maxPoints);
      return {
        value: { total, buffer: kept.buffer, length: kept.length },
        transfer: [kept.buffer],
      };
    }
    case 'anomalies': {
      const [q] = req.args;
      const stored = await store.anomalies(q);
      // The newest form of each anomaly wins (stored < in-flight checkpoint < since it), then the filter.
      const byKey = new Map(stored.map((a) => [`${a.seriesId}:${a.start}`, a]));
      for (const a of task.unflushedAnomalies()) byKey.set(`${a.seriesId}:${a.start}`, a);
      return { value: selectAnomalies(byKey.values(), q) };
    }
    case 'configOf':
      return { value: task.configOf(req.args[0]) };
    case 'setConfig':
      task.setConfig(req.args[0], req.args[1]);
      return { value: null };
    case 'deleteSeries':
      return { value: await task.deleteSeries(req.args[0]) };
    case 'retain': {
      const { chunks, points, anomalies } = await store.retain(req.args[0], req.args[1]);
      return { value: { chunks, points, anomalies } };
    }
    case 'warmStart': {
      const r = await warmStart(req.args[0], {
        range: storedAndUnflushed,
        primeBefore: (sid) => task.primeBefore(sid),
        prime: (sid, points) => task.prime(sid, points),
        maxPoints: init.config.models.warmStartPoints,
      });
      const { error, ...counts } = r;
      return { value: error === undefined ? counts : { ...counts, error: (error as Error).message } };
    }
    case 'feedback':
      task.feedback(req.args[0], req.args[1]);
      return { value: null };
    case 'postRuleStates':
      return { value: task.postRuleStates(req.args[0]) };
    case 'maintenance':
      task.setMaintenance(req.args[0]);
      return { value: null };
    case 'models':
      return { value: task.setModels(req.args[0], req.args[1]) };
    case 'modelStats':
      return { value: task.modelStats() };
    case 'close':
      clearInterval(progress);
      await arrived(req.args[0]);
      await host.close();
      report();
      await store.close();
      reader.close();
      return { value: null };
  }
}

/** Scored points with from ≤ ts < to, stored and not yet stored, by time. */
function storedAndUnflushed(sid: number, from: number, to: number) {
  return withUnflushed(store.range(sid, from, to), task.unflushed(sid, from, to));
}

// Committed entries, straight from the log writer thread.
init.entries.on('message', (m: { first: number; batches: Uint8Array[] }) => {
  const entries: LogEntry[] = new Array(m.batches.length);
  for (let i = 0; i < m.batches.length; i++) {
    const batch = ownedPoints(batchOf(m.batches[i]!), init.shard, init.shards);
    received += batch.seriesIds.length;
    entries[i] = { offset: m.first + i, batch };
  }
  receivedOffset = m.first + m.batches.length - 1;
  if (held !== null) held.push(...entries);
  else host.deliver(PARTITION, entries);
});

/**
 * Restores the task from its checkpoint (its wall-clock checkpoints start then) and replays the
 * log after its offset; entries that arrive meanwhile follow the replay (those it covered are
 * skipped as redelivered).
 */
async function recover(): Promise<{ offset: number; replayedEntries: number; afresh: number[] }> {
  // A crash between a deletion's tombstone (log.db) and its delete here left rows: delete them again.
  if (deleted.length > 0) await store.deleteSeries(deleted);
  await host.assign([PARTITION]);
  const offset = host.offsetOf(PARTITION);
  let replayed = 0;
  for (let after = offset; ; ) {
    const entries = reader.read(after, REPLAY_BATCH);
    if (entries.length === 0) break;
    for (const e of entries) e.batch = ownedPoints(e.batch, init.shard, init.shards);
    host.deliver(PARTITION, entries);
    replayed += entries.length;
    after = entries[entries.length - 1]!.offset;
    await host.drain();
  }
  const live = held ?? [];
  held = null;
  host.deliver(PARTITION, live);
  report();
  // Series whose checkpointed state belonged to another pipeline: the main thread warm starts them.
  return { offset, replayedEntries: replayed, afresh: task.takeRestoredAfresh() };
}

port.on('message', (m: EngineCall) => {
  answer(m).then(
    ({ value, transfer }) => post({ kind: 'reply', id: m.id, ok: true, value }, transfer),
    (err: Error) => post({ kind: 'reply', id: m.id, ok: false, message: err.message, code: codeOf(err) }),
  );
});

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
