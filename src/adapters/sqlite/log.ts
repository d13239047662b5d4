/**
 * The Log port on `log.db`: one row per ingest request, keyed by offset, so appends of many
 * interleaved series cost one B-tree append each (a table keyed by (series, ts) takes interleaved
 * series ~10× slower; see ../shared/research/perf-anchors.md §4). Rows hold the shared batch
 * layout (core/point-batch-codec.ts).
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { MessagePort } from 'node:worker_threads';
import { decodeBatch, encodeBatch } from '../../core/point-batch-codec.ts';
import type { Log, LogEntry, PointBatch } from '../../ports/log.ts';
import { storageTransaction } from './database.ts';
import { LogWriter } from './log-writer.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS log (
  offset INTEGER PRIMARY KEY,
  points INTEGER NOT NULL,
  batch BLOB NOT NULL
);
-- offset of the last truncation, so offsets stay monotonic when the log is empty
CREATE TABLE IF NOT EXISTS log_meta (id INTEGER PRIMARY KEY CHECK (id = 1), truncated INTEGER NOT NULL);
INSERT OR IGNORE INTO log_meta (id, truncated) VALUES (1, 0);
`;

/**
 * Where log commits run. `worker` (what the server uses) commits on a worker thread with its own
 * connection to `path`, so fsyncs do not block the event loop; `inline` commits on the connection
 * given. `forward`: see log-worker.ts.
 */
export type LogCommits =
  | { kind: 'inline' }
  | { kind: 'worker'; path: string; synchronous: 'full' | 'normal'; forward?: MessagePort[] };

export class SqliteLog implements Log {
  readonly #db: DatabaseSync;
  #end: number;
  readonly #insertLog: StatementSync;
  readonly #readLog: StatementSync;
  readonly #writer: LogWriter | null;

  constructor(db: DatabaseSync, commits: LogCommits = { kind: 'inline' }) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#writer =
      commits.kind === 'worker' ? new LogWriter(commits.path, commits.synchronous, commits.forward) : null;
    const end = db.prepare('SELECT MAX(offset) AS m FROM log').get()!.m;
    const truncated = Number(db.prepare('SELECT truncated FROM log_meta').get()!.truncated);
    this.#end = end === null ? truncated : Math.max(Number(end), truncated);
    this.#insertLog = db.prepare('INSERT INTO log (offset, points, batch) VALUES (?, ?, ?)');
    this.#readLog = db.prepare(READ_LOG);
  }

  async append(batches: readonly PointBatch[]): Promise<number[]> {
    const first = this.#end + 1;
    const offsets = batches.map((_, i) => first + i);
    if (this.#writer !== null) {
      const encoded = batches.map((b) => ({ points: b.seriesIds.length, bytes: encodeBatch(b) }));
      await this.#writer.call(
        { kind: 'append', first, batches: encoded },
        encoded.map((e) => e.bytes.buffer as ArrayBuffer),
      );
    } else {
      this.#tx(() => {
        for (let i = 0; i < batches.length; i++) {
          this.#insertLog.run(offsets[i]!, batches[i]!.seriesIds.length, encodeBatch(batches[i]!));
        }
      });
    }
    this.#end = first + batches.length - 1;
    return offsets;
  }

  async read(after: number, limit: number): Promise<LogEntry[]> {
    return readLog(this.#readLog, after, limit);
  }

  async endOffset(): Promise<number> {
    return this.#end;
  }

  async truncate(upTo: number): Promise<void> {
    if (this.#writer !== null) {
      await this.#writer.call({ kind: 'truncate', upTo }, []);
      return;
    }
    this.#tx(() => {
      this.#db.prepare('DELETE FROM log WHERE offset <= ?').run(upTo);
      this.#db.prepare('UPDATE log_meta SET truncated = MAX(truncated, ?)').run(upTo);
    });
  }

  /** Ends the writer thread, if any; the connection stays open (its owner closes it). */
  async close(): Promise<void> {
    await this.#writer?.close();
  }

  #tx(fn: () => void): void {
    storageTransaction(this.#db, 'log.db', fn);
  }
}

/**
 * Reads the point log of a `log.db` that a SqliteLog elsewhere (another thread) writes: the
 * embedded engine thread replays the log after its checkpoint through this on recovery.
 */
export class SqliteLogReader {
  readonly #db: DatabaseSync;
  readonly #read: StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#read = db.prepare(READ_LOG);
  }

  read(after: number, limit: number): LogEntry[] {
    return readLog(this.#read, after, limit);
  }

  close(): void {
    this.#db.close();
  }
}

const READ_LOG = 'SELECT offset, batch FROM log WHERE offset > ? ORDER BY offset LIMIT ?';

function readLog(stmt: StatementSync, after: number, limit: number): LogEntry[] {
  const out: LogEntry[] = [];
  for (const row of stmt.iterate(after, limit)) {
    out.push({ offset: Number(row.offset), batch: decodeBatch(row.batch as Uint8Array) });
  }
  return out;
}
