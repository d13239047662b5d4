/**
 * One active process among replicas: a session-level advisory lock on a connection of its own.
 * `acquire` waits (polling `pg_try_advisory_lock`) until this process holds the lock; the lock is
 * held as long as that connection lives, so a process that dies (kill -9, a lost network) lets a
 * standby take over as soon as PostgreSQL notices the closed session. `lost` resolves when the
 * connection drops: the holder MUST stop acting as the active one then.
 */
import type { HeldLock, LeaderLock } from '../../ports/leader-lock.ts';
import type { PgPools } from './pools.ts';

export class PgLeaderLock implements LeaderLock {
  readonly #pools: PgPools;
  readonly #name: string;

  /** `name` identifies the lock; every process that competes for it uses the same one. */
  constructor(pools: PgPools, name: string) {
    this.#pools = pools;
    this.#name = name;
  }

  async acquire(
    pollMs: number,
    stopped: () => boolean,
    onError: (err: unknown) => void,
  ): Promise<HeldLock | undefined> {
    while (!stopped()) {
      try {
        const s = await this.#pools.session(`advisory lock ${this.#name}`);
        try {
          const rows = await s.query('SELECT pg_try_advisory_lock(hashtext($1)) AS held', [this.#name]);
          if (rows[0]?.held === true) return { lost: s.lost, release: s.release };
        } catch (err) {
          onError(err);
        }
        s.release();
      } catch (err) {
        onError(err);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return undefined;
  }
}
