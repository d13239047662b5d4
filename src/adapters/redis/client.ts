/**
 * The adapter's one connection to a Redis Cluster (an ioredis `Cluster`) and the retry policy every
 * operation runs under. Port implementations in this folder get a `RedisConnection`, never the
 * ioredis object itself, and call the cluster only through `run`.
 *
 * Keys and slots: Redis Cluster hashes each key to one of 16384 slots, and a command or MULTI that
 * touches several keys MUST keep them in one slot. Only the part inside the first `{…}` of a key
 * is hashed when present, so keys that must live together share a hash tag, e.g.
 * `{vigil:cp:3}:offset` and `{vigil:cp:3}:states`. Keys without a tag spread over the cluster.
 *
 * Failures: ioredis itself follows MOVED/ASK, and retries a few times on CLUSTERDOWN, TRYAGAIN and
 * a closed connection while it refreshes the slot map. `run` adds the bound: it retries transient
 * failures (those, connection errors, timeouts) with backoff until `unavailableAfterMs` has passed
 * since the operation started, then fails with VIGIL_ERR_UNAVAILABLE. Anything else (a command
 * Redis rejects) fails at once with VIGIL_ERR_STORAGE. A retried write whose reply was lost may
 * have been applied already: operations that run under `run` MUST be safe to repeat, or say what a
 * repeat means (see RedisCache).
 */
import { Cluster } from 'ioredis';
import { VigilError } from '../../core/errors.ts';
import { type RedisConfig, resolveRedisConfig } from './config.ts';

/** The slice of the ioredis cluster client that this adapter calls. */
export type RedisClient = Pick<
  Cluster,
  'get' | 'set' | 'del' | 'eval' | 'multi' | 'hgetall' | 'hdel' | 'ping'
>;

/** Redis error replies that mean "not now" rather than "never": the command did not run. */
const TRANSIENT_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|MOVED|ASK|NOREPLICAS)\b/;

function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Errors ioredis raises itself (closed or refused connection, command timeout, too many
  // redirections, slot refresh failed) are all about reaching the cluster, so all transient.
  if (err.name !== 'ReplyError') return true;
  return TRANSIENT_REPLY.test(err.message);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class RedisConnection {
  readonly #cluster: Cluster;
  readonly #unavailableAfterMs: number;
  #closed = false;
  #lastNodeError: Error | undefined;

  constructor(config: RedisConfig) {
    const { nodes, commandTimeoutMs: commandTimeout, unavailableAfterMs } = resolveRedisConfig(config);
    this.#unavailableAfterMs = unavailableAfterMs;
    this.#cluster = new Cluster(nodes, {
      // Short steps: `run` owns the overall bound, these only pace ioredis' own retries.
      retryDelayOnFailover: 200,
      retryDelayOnClusterDown: 200,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: commandTimeout,
      clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
      redisOptions: { commandTimeout, connectTimeout: commandTimeout, maxRetriesPerRequest: 1 },
    });
    // Without listeners these events would crash the process (`error`) or go to stderr; the last
    // one explains a VIGIL_ERR_UNAVAILABLE.
    this.#cluster.on('error', (err: Error) => {
      this.#lastNodeError = err;
    });
    this.#cluster.on('node error', (err: Error) => {
      this.#lastNodeError = err;
    });
  }

  /**
   * Runs `op` against the cluster, retrying transient failures until `unavailableAfterMs` has
   * passed (then VIGIL_ERR_UNAVAILABLE). `what` names the operation in error messages.
   */
  async run<T>(what: string, op: (client: RedisClient) => Promise<T>): Promise<T> {
    const deadline = performance.now() + this.#unavailableAfterMs;
    let lastError: unknown;
    for (let attempt = 0; ; attempt++) {
      if (this.#closed) throw new VigilError('VIGIL_ERR_UNAVAILABLE', `redis ${what}: connection closed`);
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        return await withTimeout(op(this.#cluster), left);
      } catch (err) {
        if (err !== TIMED_OUT && !isTransient(err)) {
          throw new VigilError('VIGIL_ERR_STORAGE', `redis ${what}: ${(err as Error).message}`, {
            cause: err,
          });
        }
        lastError = err === TIMED_OUT ? this.#lastNodeError : err;
      }
      await sleep(Math.min(50 * 2 ** attempt, 500, Math.max(0, deadline - performance.now())));
    }
    const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
    throw new VigilError(
      'VIGIL_ERR_UNAVAILABLE',
      `redis ${what}: cluster unavailable for ${this.#unavailableAfterMs} ms${reason}`,
      { cause: lastError },
    );
  }

  /** Closes every connection; later `run` calls fail with VIGIL_ERR_UNAVAILABLE. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#cluster.quit();
    } catch {
      this.#cluster.disconnect();
    }
  }
}

const TIMED_OUT = Symbol('timed out');

/**
 * Settles with `promise`, or rejects with TIMED_OUT after `ms` (a command queued while the cluster
 * is unreachable would otherwise wait in ioredis' offline queue without bound).
 */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), ms);
  });
  // The losing side must not surface as an unhandled rejection.
  promise.catch(() => {});
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
