/**
 * Worker thread that owns the log's write connection. Commits (with their fsync under
 * `synchronous = FULL`) happen here, so the main thread keeps parsing requests meanwhile; requests
 * that arrive during a commit form the next group. Truncations go in slices, appends in between.
 *
 * Messages in:  { id, kind: 'append', first, batches: Uint8Array[] }  |  { id, kind: 'truncate', upTo }
 * Messages out: { id, ok: true } | { id, ok: false, message }
 * With `forward` ports, each committed append also goes to each of them as
 * { first, batches: Uint8Array[] } (the encoded batches: copies, the last port's transferred): the
 * embedded engine threads take their entries from here, so the main thread does not copy them a
 * second time.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { openDatabase, writeTransaction } from './database.ts';

interface Init {
  path: string;
  synchronous: 'full' | 'normal';
  forward: MessagePort[];
}
type Request =
  | { id: number; kind: 'append'; first: number; batches: { points: number; bytes: Uint8Array }[] }
  | { id: number; kind: 'truncate'; upTo: number };

const init = workerData as Init;
const db = openDatabase(init.path, init.synchronous);
const insert = db.prepare('INSERT INTO log (offset, points, batch) VALUES (?, ?, ?)');
const del = db.prepare('DELETE FROM log WHERE offset <= ?');
const mark = db.prepare('UPDATE log_meta SET truncated = MAX(truncated, ?)');

/**
 * Log rows one truncation transaction deletes at most. A checkpoint interval's rows (~12,000 at
 * 250,000 points/s in 100-point requests) deleted at once held the write lock for 20–70 ms, and
 * every ingest request waited behind it; in slices, appends that arrive meanwhile go in between.
 */
const TRUNCATE_ROWS = 500;
const oldest = db.prepare('SELECT MIN(offset) AS m FROM log');

const tx = (fn: () => void) => writeTransaction(db, fn);

async function truncate(upTo: number): Promise<void> {
  for (;;) {
    const m = oldest.get()!.m;
    const end = m === null ? upTo : Math.min(upTo, Number(m) + TRUNCATE_ROWS - 1);
    tx(() => {
      del.run(end);
      mark.run(end);
    });
    if (end >= upTo) return;
    await yieldTurn();
  }
}

parentPort!.on('message', (req: Request) => {
  const done = (err?: unknown) =>
    parentPort!.postMessage(
      err === undefined
        ? { id: req.id, ok: true }
        : { id: req.id, ok: false, message: (err as Error).message },
    );
  if (req.kind === 'truncate') {
    truncate(req.upTo).then(() => done(), done);
    return;
  }
  try {
    tx(() => {
      let o = req.first;
      for (const b of req.batches) insert.run(o++, b.points, b.bytes);
    });
    const last = init.forward.length - 1;
    for (let i = 0; i <= last; i++) {
      const batches = req.batches.map((b) => b.bytes);
      const transfer = i === last ? batches.map((b) => b.buffer as ArrayBuffer) : [];
      init.forward[i]!.postMessage({ first: req.first, batches }, transfer);
    }
    done();
  } catch (err) {
    done(err);
  }
});
