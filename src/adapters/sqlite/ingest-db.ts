/**
 * The ingest side of the embedded store (`log.db`): the series catalogue, per-series detector
 * configs and the point log. Append-ordered: one row per ingest request, keyed by rowid, so
 * appends of many interleaved series cost one B-tree append each (a table keyed by (series, ts)
 * takes interleaved series ~10× slower; see ../shared/research/perf-anchors.md §4).
 */
import type { DatabaseSync, SQLOutputValue, StatementSync } from 'node:sqlite';
import type { MessagePort } from 'node:worker_threads';
import { VigilError } from '../../core/errors.ts';
import { decodeBatch, encodeBatch } from '../../core/point-batch-codec.ts';
import { parseSeriesKey } from '../../core/series.ts';
import type { Log, LogEntry, PointBatch } from '../../ports/log.ts';
import type { ConfigStore, SeriesConfig } from '../../ports/meta-store.ts';
import type { SeriesCatalog, SeriesInfo } from '../../ports/series-catalog.ts';
import { LogWriter } from './log-writer.ts';
import { writeTransaction } from './open.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
  offset INTEGER PRIMARY KEY,
  points INTEGER NOT NULL,
  batch BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS series_config (
  series_id INTEGER PRIMARY KEY,
  detector TEXT NOT NULL,
  params TEXT NOT NULL,
  threshold REAL NOT NULL,
  resample TEXT -- JSON of SeriesConfig.resample; NULL: every point
);
-- offset of the last truncation, so offsets stay monotonic when the log is empty
CREATE TABLE IF NOT EXISTS log_meta (id INTEGER PRIMARY KEY CHECK (id = 1), truncated INTEGER NOT NULL);
INSERT OR IGNORE INTO log_meta (id, truncated) VALUES (1, 0);
`;

export class SqliteIngestDb implements Log, SeriesCatalog, ConfigStore {
  readonly #db: DatabaseSync;
  readonly #byKey = new Map<string, number>();
  readonly #byId: (SeriesInfo | undefined)[] = [];
  #count = 0;
  #end: number;
  readonly #insertSeries: StatementSync;
  readonly #insertLog: StatementSync;
  readonly #readLog: StatementSync;
  readonly #writer: LogWriter | null;

  /**
   * `writer`: where log commits run. `worker` (what the server uses) commits on a worker thread
   * with its own connection so fsyncs do not block the event loop; `inline` commits here.
   */
  constructor(
    db: DatabaseSync,
    writer:
      | { kind: 'inline' }
      | { kind: 'worker'; path: string; synchronous: 'full' | 'normal'; forward?: MessagePort } = {
      kind: 'inline',
    },
  ) {
    this.#db = db;
    db.exec(SCHEMA);
    // Data dirs made before resampling existed lack the column.
    const columns = db.prepare('PRAGMA table_info(series_config)').all();
    if (!columns.some((c) => c.name === 'resample'))
      db.exec('ALTER TABLE series_config ADD COLUMN resample TEXT');
    this.#writer =
      writer.kind === 'worker' ? new LogWriter(writer.path, writer.synchronous, writer.forward) : null;
    for (const row of db.prepare('SELECT id, key, created_ms FROM series').iterate()) {
      this.#remember(Number(row.id), String(row.key), Number(row.created_ms));
    }
    const end = db.prepare('SELECT MAX(offset) AS m FROM log').get()!.m;
    const truncated = Number(db.prepare('SELECT truncated FROM log_meta').get()!.truncated);
    this.#end = end === null ? truncated : Math.max(Number(end), truncated);
    this.#insertSeries = db.prepare('INSERT INTO series (key, created_ms) VALUES (?, ?)');
    this.#insertLog = db.prepare('INSERT INTO log (offset, points, batch) VALUES (?, ?, ?)');
    this.#readLog = db.prepare(READ_LOG);
  }

  #remember(id: number, key: string, createdMs: number): void {
    const { metric, tags } = parseSeriesKey(key);
    this.#byKey.set(key, id);
    this.#byId[id] = { id, key, metric, tags, createdMs };
    this.#count++;
  }

  // --- SeriesCatalog ---

  async resolve(keys: readonly string[], nowMs: number): Promise<Int32Array> {
    return this.resolveSync(keys, nowMs);
  }

  /** `resolve` without the promise: the whole catalog is in memory, so the embedded app calls it inline. */
  resolveSync(keys: readonly string[], nowMs: number): Int32Array {
    const ids = new Int32Array(keys.length);
    let fresh: string[] | undefined;
    for (let i = 0; i < keys.length; i++) {
      const id = this.#byKey.get(keys[i]!);
      if (id !== undefined) ids[i] = id;
      else {
        fresh ??= [];
        fresh.push(keys[i]!);
      }
    }
    if (fresh !== undefined) {
      const added: [number, string][] = [];
      this.#tx(() => {
        for (const key of new Set(fresh)) {
          const r = this.#insertSeries.run(key, nowMs);
          added.push([Number(r.lastInsertRowid), key]);
        }
      });
      for (const [id, key] of added) this.#remember(id, key, nowMs);
      for (let i = 0; i < keys.length; i++) ids[i] = this.#byKey.get(keys[i]!)!;
    }
    return ids;
  }

  async idOf(key: string): Promise<number | undefined> {
    return this.#byKey.get(key);
  }

  async get(id: number): Promise<SeriesInfo | undefined> {
    return this.#byId[id];
  }

  async count(): Promise<number> {
    return this.#count;
  }

  async all(): Promise<SeriesInfo[]> {
    return this.allSync();
  }

  // Synchronous reads of the in-memory catalog for the embedded app's hot paths.

  known(key: string): number | undefined {
    return this.#byKey.get(key);
  }

  info(id: number): SeriesInfo | undefined {
    return this.#byId[id];
  }

  get size(): number {
    return this.#count;
  }

  allSync(): SeriesInfo[] {
    const out: SeriesInfo[] = [];
    for (const s of this.#byId) if (s !== undefined) out.push(s);
    return out;
  }

  // --- Log ---

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

  // --- per-series detector configuration ---

  async getConfig(seriesId: number): Promise<SeriesConfig | undefined> {
    const row = this.#db
      .prepare('SELECT detector, params, threshold, resample FROM series_config WHERE series_id = ?')
      .get(seriesId);
    return row === undefined ? undefined : configOfRow(row);
  }

  async setConfig(seriesId: number, c: SeriesConfig): Promise<void> {
    this.#db
      .prepare(
        'INSERT OR REPLACE INTO series_config (series_id, detector, params, threshold, resample) VALUES (?, ?, ?, ?, ?)',
      )
      .run(
        seriesId,
        c.detector,
        JSON.stringify(c.params),
        c.threshold,
        c.resample === undefined ? null : JSON.stringify(c.resample),
      );
  }

  async allConfigs(): Promise<Map<number, SeriesConfig>> {
    const out = new Map<number, SeriesConfig>();
    for (const row of this.#db
      .prepare('SELECT series_id, detector, params, threshold, resample FROM series_config')
      .iterate()) {
      out.set(Number(row.series_id), configOfRow(row));
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#writer?.close();
    this.#db.close();
  }

  #tx(fn: () => void): void {
    try {
      writeTransaction(this.#db, fn);
    } catch (err) {
      throw new VigilError('VIGIL_ERR_STORAGE', `log.db write failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

/**
 * Reads the point log of a `log.db` that a SqliteIngestDb elsewhere (another thread) writes: the
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

function configOfRow(row: Record<string, SQLOutputValue>): SeriesConfig {
  const c: SeriesConfig = {
    detector: String(row.detector),
    params: JSON.parse(String(row.params)),
    threshold: Number(row.threshold),
  };
  if (row.resample !== null) c.resample = JSON.parse(String(row.resample));
  return c;
}
