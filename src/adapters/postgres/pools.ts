/**
 * The adapter's connections: a pool to the primary and, optionally, one to a streaming replica.
 * Port implementations in this folder get a `PgPools`, never a `pg` object, and reach the servers
 * only through `write`, `snapshot`, `primary` and `read`.
 *
 * Routing: every write goes to the primary. `read` is for reads that tolerate replication lag; it
 * goes to the replica and falls back to the primary when the replica is unreachable (then the
 * replica is left alone for `replicaRetryMs`). Reads stay consistent with this process's own
 * writes: after each write transaction the pools note the primary's WAL position, and `read`
 * uses the replica only once it has replayed that far (else the primary answers, or, with the
 * primary down, the lagging replica: an older answer beats none). Writes of other processes show
 * up on the replica after its lag.
 *
 * Failures: a connection-level failure (refused or dropped connection, connect timeout, admin or
 * crash shutdown, a server still starting, a read-only transaction on a demoted node) fails with
 * VIGIL_ERR_UNAVAILABLE (retriable); anything else PostgreSQL rejects fails with
 * VIGIL_ERR_STORAGE. Both keep the original error as `cause`. Nothing here retries: callers' retry
 * loops read `retriable`. A failed connection is dropped from its pool and the next call opens a
 * new one, so the pools recover by themselves when a server comes back. A write whose COMMIT reply
 * was lost may have committed: every write of this adapter MUST be safe to repeat (upserts,
 * `ON CONFLICT DO NOTHING`, a checkpoint at the same offset).
 */
import pg from 'pg';
import { isVigilError, VigilError } from '../../core/errors.ts';
import {
  checkPoolSize,
  checkSchema,
  checkUrl,
  type PostgresConfig,
  resolvePostgresConfig,
} from './config.ts';

export type Row = Record<string, unknown>;

/** Runs one statement with positional parameters (`$1`, `$2`, …) and returns its rows. */
export type Query = (text: string, values?: readonly unknown[]) => Promise<Row[]>;

/** The slice of a `pg` pool and its clients that this adapter calls. */
interface PoolSlice {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  connect(): Promise<ClientSlice>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface ClientSlice {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>;
  on(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  /** Returns the client to its pool; with `true` the pool closes it instead. */
  release(destroy?: boolean): void;
}

type Role = 'primary' | 'replica';

// Node socket errors: the server cannot be reached or the connection broke.
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// SQLSTATEs meaning "this server cannot take it now": 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting or stopping), 53300 too_many_connections,
// 25006 read_only_sql_transaction (the URL names a standby, e.g. a demoted primary);
// class 08 is connection_exception.
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300', '25006']);
// Errors that pg and pg-pool raise themselves about a connection (they carry no code).
const CONNECTION_MESSAGE =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly|Cannot use a pool after calling end|Client was closed/;

/** True when `err` says the server could not be reached or dropped the connection. */
export function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NET_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08')) return true;
  }
  if (err instanceof AggregateError && err.errors.some(isConnectionFailure)) return true;
  return CONNECTION_MESSAGE.test(err.message);
}

/** A standby cancelled the query because WAL replay needed its rows (retry it elsewhere). */
function isRecoveryConflict(err: unknown): boolean {
  return (
    isVigilError(err) &&
    (err.cause as { code?: unknown } | undefined)?.code === '40001' &&
    /conflict with recovery/.test(err.message)
  );
}

function classify(err: unknown, role: Role, what: string): VigilError {
  if (isVigilError(err)) return err;
  const message = `postgres ${role}, ${what}: ${err instanceof Error ? err.message || String(err) : String(err)}`;
  return new VigilError(isConnectionFailure(err) ? 'VIGIL_ERR_UNAVAILABLE' : 'VIGIL_ERR_STORAGE', message, {
    cause: err,
  });
}

const isUnavailable = (err: unknown) => isVigilError(err) && err.code === 'VIGIL_ERR_UNAVAILABLE';

/** A WAL position (`16/B374D848`) as a comparable number; NULL (not a standby) as -1. */
function parseLsn(v: unknown): bigint {
  if (typeof v !== 'string') return -1n;
  const slash = v.indexOf('/');
  return (BigInt(`0x${v.slice(0, slash)}`) << 32n) | BigInt(`0x${v.slice(slash + 1)}`);
}

export class PgPools {
  readonly #primary: PoolSlice;
  readonly #replica: PoolSlice | undefined;
  readonly #replicaRetryMs: number;
  readonly schema: string | undefined;
  #replicaDownUntil = 0;
  /** The primary's WAL position after this process's latest write transaction. */
  #writtenLsn = 0n;
  /** How far the replica had replayed when last asked. */
  #replicaLsn = 0n;
  #closed = false;

  constructor(given: PostgresConfig) {
    const config = resolvePostgresConfig(given);
    this.schema = config.schema === undefined ? undefined : checkSchema(config.schema);
    const size = checkPoolSize(config.poolSize);
    this.#replicaRetryMs = config.replicaRetryMs;
    this.#primary = this.#pool(checkUrl('postgres.url', config.url), size, config);
    this.#replica =
      config.replicaUrl === undefined
        ? undefined
        : this.#pool(checkUrl('postgres.replicaUrl', config.replicaUrl), size, config);
  }

  #pool(
    url: string,
    max: number,
    config: Required<Pick<PostgresConfig, 'connectTimeoutMs' | 'statementTimeoutMs'>>,
  ): PoolSlice {
    const pool = new pg.Pool({
      connectionString: url,
      max,
      connectionTimeoutMillis: config.connectTimeoutMs,
      statement_timeout: config.statementTimeoutMs,
      keepAlive: true,
      application_name: 'vigil',
      ...(this.schema === undefined ? {} : { options: `-c search_path=${this.schema}` }),
    });
    // An idle connection that the server drops (shutdown, restart) makes the pool emit `error`,
    // which would crash the process without a listener. The pool has already discarded that
    // connection; the next call opens a new one, and fails itself if the server is still down.
    pool.on('error', () => {});
    return pool as unknown as PoolSlice;
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on the primary: committed when `fn` resolves,
   * rolled back when it throws (its VigilErrors pass through unchanged).
   */
  async write<T>(what: string, fn: (query: Query) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN', what, fn, true);
  }

  /** Runs `fn` in one read-only REPEATABLE READ transaction on the primary (a consistent snapshot). */
  async snapshot<T>(what: string, fn: (query: Query) => Promise<T>): Promise<T> {
    return this.#transaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', what, fn, false);
  }

  /** One statement on the primary, in a transaction of its own. */
  async primary(what: string, text: string, values: readonly unknown[] = []): Promise<Row[]> {
    return this.#run(this.#primary, 'primary', what, text, values);
  }

  /** A read that tolerates replication lag (see the routing rules at the top of this file). */
  async read(what: string, text: string, values: readonly unknown[] = []): Promise<Row[]> {
    const replica = this.#replica;
    if (replica === undefined || performance.now() < this.#replicaDownUntil) {
      return this.#run(this.#primary, 'primary', what, text, values);
    }
    try {
      if (!(await this.#replicaHasOurWrites(replica))) {
        try {
          return await this.#run(this.#primary, 'primary', what, text, values);
        } catch (err) {
          if (!isUnavailable(err)) throw err;
        }
      }
      return await this.#run(replica, 'replica', what, text, values);
    } catch (err) {
      if (isUnavailable(err)) this.#replicaDownUntil = performance.now() + this.#replicaRetryMs;
      else if (!isRecoveryConflict(err)) throw err;
      return this.#run(this.#primary, 'primary', what, text, values);
    }
  }

  /**
   * A primary connection of its own, outside any transaction, for session-level state (a held
   * advisory lock). `lost` resolves when the server drops it; `release` closes it, which ends
   * whatever the session held.
   */
  async session(what: string): Promise<{ query: Query; lost: Promise<void>; release(): void }> {
    const client = await this.#connect(what);
    const lost = Promise.withResolvers<void>();
    const dropped = () => lost.resolve();
    client.on('error', dropped);
    let released = false;
    return {
      query: async (text, values) => {
        try {
          return (await client.query(text, values as unknown[])).rows;
        } catch (err) {
          throw classify(err, 'primary', what);
        }
      },
      lost: lost.promise,
      release: () => {
        if (released) return;
        released = true;
        client.off('error', dropped);
        client.release(true);
        lost.resolve();
      },
    };
  }

  /** Closes every connection; later calls fail with VIGIL_ERR_UNAVAILABLE. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#primary.end(), this.#replica?.end()]);
  }

  async #replicaHasOurWrites(replica: PoolSlice): Promise<boolean> {
    if (this.#replicaLsn >= this.#writtenLsn) return true;
    const rows = await this.#run(
      replica,
      'replica',
      'replay position',
      'SELECT pg_last_wal_replay_lsn()::text AS lsn',
    );
    const lsn = parseLsn(rows[0]!.lsn);
    // NULL: the server is not (or no longer) a standby, so it is not behind anything.
    this.#replicaLsn = lsn < 0n ? this.#writtenLsn : lsn;
    return this.#replicaLsn >= this.#writtenLsn;
  }

  /** A primary connection of its own; VIGIL_ERR_UNAVAILABLE once closed or when none is had. */
  async #connect(what: string): Promise<ClientSlice> {
    if (this.#closed)
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', `postgres primary, ${what}: pools closed`);
    try {
      return await this.#primary.connect();
    } catch (err) {
      throw classify(err, 'primary', what);
    }
  }

  async #run(pool: PoolSlice, role: Role, what: string, text: string, values: readonly unknown[] = []) {
    if (this.#closed)
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', `postgres ${role}, ${what}: pools closed`);
    try {
      return (await pool.query(text, values as unknown[])).rows;
    } catch (err) {
      throw classify(err, role, what);
    }
  }

  async #transaction<T>(begin: string, what: string, fn: (query: Query) => Promise<T>, writes: boolean) {
    const client = await this.#connect(what);
    let destroy = false;
    // A checked-out client has no listener of the pool's: without one, a connection the server
    // drops between two statements (a shutdown while `fn` awaits something else) would emit an
    // unhandled `error` and crash the process. The failure reaches `fn` through its next query.
    const dropped = () => {
      destroy = true;
    };
    client.on('error', dropped);
    try {
      await client.query(begin);
      const out = await fn(async (text, values) => (await client.query(text, values as unknown[])).rows);
      await client.query('COMMIT');
      if (writes && this.#replica !== undefined) {
        try {
          const rows = (await client.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows;
          const lsn = parseLsn(rows[0]!.lsn);
          if (lsn > this.#writtenLsn) this.#writtenLsn = lsn;
        } catch {
          // Committed already; only read-your-writes through the replica is lost for this one.
          destroy = true;
        }
      }
      return out;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        // The connection is broken: close it rather than hand it to the next caller.
        destroy = true;
      }
      throw classify(err, 'primary', what);
    } finally {
      client.off('error', dropped);
      client.release(destroy);
    }
  }
}
