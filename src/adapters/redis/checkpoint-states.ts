/**
 * Per-partition engine state and the log offset it reflects, on Redis Cluster: the state half of
 * a checkpoint for scaled-out processors (points and anomalies go to their own stores). One
 * instance serves one partition; the task that owns the partition is its only writer.
 *
 * Layout: every key of partition P shares the hash tag `{vigil:cp:P}`, so they sit in one slot and
 * one script can change them together:
 *   `{vigil:cp:P}:offset`   the offset the stored states reflect (string)
 *   `{vigil:cp:P}:states`   hash: series id → serialized state, each series' latest
 *
 * `commit` is a Lua script rather than MULTI because it must also refuse a checkpoint older than
 * the stored one: the hash keeps each series' latest state, so a stale writer (a task that lost
 * its partition and has not noticed) moving the offset back would pair newer states with an older
 * offset, and the replay after a restart would apply points to those series twice. A commit at
 * the same offset is accepted again, which keeps a retry after a lost reply harmless.
 *
 * Durability: Redis replicates asynchronously, so a failover may lose the last commits. That is
 * safe here: the partition restarts from an older checkpoint and replays more of the log, as long
 * as the log still holds those offsets.
 */
import { VigilError } from '../../core/errors.ts';
import type { Checkpoint } from '../../ports/checkpoint-store.ts';
import type { RedisConnection } from './client.ts';
import { checkKeyPrefix } from './config.ts';

/** KEYS: offset, states. ARGV: offset, then series id / state pairs. Returns the stored offset. */
const COMMIT = `local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local offset = tonumber(ARGV[1])
if offset < current then return current end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[1], ARGV[1])
return offset`;

/** KEYS: offset, states. Both read in one step, so they always belong to one commit. */
const LOAD = `return {redis.call('GET', KEYS[1]) or '0', redis.call('HGETALL', KEYS[2])}`;

export class RedisCheckpointStates {
  readonly #redis: RedisConnection;
  readonly #partition: number;
  readonly #offsetKey: string;
  readonly #statesKey: string;

  /** Does not own `redis`: the tasks of one process share a connection, and close it themselves. */
  constructor(redis: RedisConnection, partition: number, options: { keyPrefix?: string } = {}) {
    if (!Number.isInteger(partition) || partition < 0) {
      throw new VigilError('VIGIL_ERR_CONFIG', `redis checkpoint states: bad partition ${partition}`);
    }
    const tag = `${checkKeyPrefix(options.keyPrefix ?? '')}{vigil:cp:${partition}}`;
    this.#redis = redis;
    this.#partition = partition;
    this.#offsetKey = `${tag}:offset`;
    this.#statesKey = `${tag}:states`;
  }

  /**
   * Stores `offset` and the states of the series that changed since the last commit, atomically.
   * Fails with VIGIL_ERR_STORAGE when a later checkpoint is already stored.
   */
  async commit(offset: number, states: ReadonlyMap<number, string>): Promise<void> {
    const args: (string | number)[] = [offset];
    for (const [series, state] of states) args.push(series, state);
    const stored = await this.#redis.run('checkpoint commit', (c) =>
      c.eval(COMMIT, 2, this.#offsetKey, this.#statesKey, ...args),
    );
    if (Number(stored) !== offset) {
      throw new VigilError(
        'VIGIL_ERR_STORAGE',
        `redis checkpoint of partition ${this.#partition}: refusing offset ${offset}, ${stored} is already committed`,
      );
    }
  }

  /** The last committed checkpoint; offset 0 and no states when there is none. */
  async load(): Promise<Checkpoint> {
    const reply = await this.#redis.run('checkpoint load', (c) =>
      c.eval(LOAD, 2, this.#offsetKey, this.#statesKey),
    );
    const [offset, flat] = reply as [string, string[]];
    const states = new Map<number, string>();
    for (let i = 0; i < flat.length; i += 2) states.set(Number(flat[i]), flat[i + 1]!);
    return { offset: Number(offset), states };
  }

  /** Drops the stored states of deleted series (the offset stays). */
  async forget(seriesIds: readonly number[]): Promise<void> {
    if (seriesIds.length === 0) return;
    await this.#redis.run('checkpoint forget', (c) => c.hdel(this.#statesKey, ...seriesIds.map(String)));
  }

  /** Drops the partition's checkpoint (tests, or retiring a partition). */
  async clear(): Promise<void> {
    await this.#redis.run('checkpoint clear', (c) => c.del(this.#offsetKey, this.#statesKey));
  }
}
