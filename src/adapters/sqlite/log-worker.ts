/**
 * Worker thread that owns the log's write connection. Commits (with their fsync under
 * `synchronous = FULL`) happen here, so the main thread keeps parsing requests meanwhile; requests
 * that arrive during a commit form the next group.
 *
 * Messages in:  { id, kind: 'append', first, batches: Uint8Array[] }  |  { id, kind: 'truncate', upTo }
 * Messages out: { id, ok: true } | { id, ok: false, message }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './open.ts';

interface Init {
  path: string;
  synchronous: 'full' | 'normal';
}
type Request =
  | { id: number; kind: 'append'; first: number; batches: { points: number; bytes: Uint8Array }[] }
  | { id: number; kind: 'truncate'; upTo: number };

const init = workerData as Init;
const db = openDatabase(init.path, init.synchronous);
const insert = db.prepare('INSERT INTO log (offset, points, batch) VALUES (?, ?, ?)');
const del = db.prepare('DELETE FROM log WHERE offset <= ?');
const mark = db.prepare('UPDATE log_meta SET truncated = MAX(truncated, ?)');

parentPort!.on('message', (req: Request) => {
  try {
    db.exec('BEGIN IMMEDIATE');
    try {
      if (req.kind === 'append') {
        let o = req.first;
        for (const b of req.batches) insert.run(o++, b.points, b.bytes);
      } else {
        del.run(req.upTo);
        mark.run(req.upTo);
      }
      db.exec('COMMIT');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw err;
    }
    parentPort!.postMessage({ id: req.id, ok: true });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, ok: false, message: (err as Error).message });
  }
});
