/**
 * Worker thread that owns store.db's write connection. A checkpoint's inserts, its COMMIT and the
 * WAL checkpoint after it run here, so the main thread only packs the checkpoint (./codec.ts) and
 * keeps serving ingest and queries meanwhile; its own connection only reads (WAL readers never
 * wait for this writer). One message at a time, in the order sent.
 *
 * Messages in:  { id, kind: 'commit', packed: PackedCheckpoint } | { id, kind: 'close' }
 *                | { id, kind: 'deleteSeries', ids: Int32Array }
 *                | { id, kind: 'retain', ids: Int32Array, cutoffs: Float64Array }
 * Messages out: { id, ok: true, lastRowid?, spare?, pruned? } | { id, ok: false, message, spare? }
 * (`lastRowid`: of the commit's last chunk row, 0 when none; `spare`: the commit's big buffers,
 * handed back for the next checkpoint to pack into; `pruned`: what a delete or retention removed,
 * ./chunk-pruner.ts)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../os/thread-priority.ts';
import { CheckpointWriter } from './checkpoint-writer.ts';
import type { PackedCheckpoint, SpareBuffers } from './chunk-codec.ts';
import { openDatabase } from './database.ts';

interface Init {
  path: string;
  synchronous: 'full' | 'normal';
  compactAt?: number;
  mergeBudgetRows?: number;
}

type Request =
  | { id: number; kind: 'commit'; packed: PackedCheckpoint }
  | { id: number; kind: 'close' }
  | { id: number; kind: 'deleteSeries'; ids: Int32Array }
  | { id: number; kind: 'retain'; ids: Int32Array; cutoffs: Float64Array };

const init = workerData as Init;
lowerThreadPriority(5);
const db = openDatabase(init.path, init.synchronous);
// WAL checkpoints happen after each commit's reply instead of inside its COMMIT (see below).
db.exec('PRAGMA wal_autocheckpoint = 0');
const writer = new CheckpointWriter(db, init.compactAt, init.mergeBudgetRows);

parentPort!.on('message', (req: Request) => {
  if (req.kind === 'close') {
    db.close();
    parentPort!.postMessage({ id: req.id, ok: true });
    parentPort!.close();
    return;
  }
  if (req.kind === 'deleteSeries' || req.kind === 'retain') {
    try {
      db.exec(`PRAGMA synchronous = ${init.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      const pruned =
        req.kind === 'retain' ? writer.retain(req.ids, req.cutoffs) : writer.deleteSeries(req.ids);
      parentPort!.postMessage({ id: req.id, ok: true, pruned });
    } catch (err) {
      parentPort!.postMessage({ id: req.id, ok: false, message: (err as Error).message });
    }
    return;
  }
  const chunks = req.packed.chunkBytes.buffer as ArrayBuffer;
  const states = req.packed.stateBytes.buffer as ArrayBuffer;
  const spare: SpareBuffers = { chunks, states };
  const transfer = [chunks, states];
  try {
    // A points flush needs no fsync of its own: nothing is truncated behind it, and the next
    // checkpoint's commit syncs the whole WAL, its frames included.
    db.exec(
      `PRAGMA synchronous = ${req.packed.pointsOnly || init.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`,
    );
    const steps = writer.write(req.packed);
    let r = steps.next();
    while (r.done !== true) r = steps.next();
    parentPort!.postMessage({ id: req.id, ok: true, lastRowid: r.value, spare }, transfer);
  } catch (err) {
    parentPort!.postMessage({ id: req.id, ok: false, message: (err as Error).message, spare }, transfer);
    return;
  }
  // The commit is visible (and, for a process crash, safe) already: compacting the chunk directory
  // and copying the WAL back into the database file are housekeeping that need not delay the
  // reply. A failed compaction leaves the entries where they were (readers find them there); a
  // failed WAL checkpoint leaves the frames in the WAL, where readers still find them; the next
  // checkpoint tries both again.
  try {
    if (!req.packed.pointsOnly) writer.compactIfDue();
  } catch {}
  try {
    writer.checkpointWal();
  } catch {}
});
