/**
 * Scaled out, how every process learns of deleted series: it polls the tombstones in PostgreSQL
 * (committed in order of `seq`, see adapters/postgres/series-tombstones.ts) every
 * `engine.configPollMs` and hands the new ones to `apply` — `vigil api` forgets the keys it
 * cached, a detector drops the series' state and deletes what it wrote of them since. The cursor
 * moves only once `apply` succeeded, so a failed round is retried at the next poll. A deletion
 * thus reaches every process within one poll interval plus one round's run time.
 */
import { CursorPoll } from './cursor-poll.ts';

export interface TombstoneSource {
  after(seq: number): Promise<{ seq: number; id: number; key: string }[]>;
  lastSeq(): Promise<number>;
}

export interface TombstonePollDeps {
  source: TombstoneSource;
  apply(tombstones: { id: number; key: string }[]): Promise<void>;
  /** A round failed (it is retried at the next poll). */
  failed(err: unknown): void;
}

export class TombstonePoll extends CursorPoll {
  readonly #d: TombstonePollDeps;

  constructor(deps: TombstonePollDeps) {
    super(deps.failed);
    this.#d = deps;
  }

  /**
   * After the tombstones that exist now: the caller has read those at start (an engine loads every
   * deleted id, a catalog caches only live series).
   */
  protected lastChange(): Promise<number> {
    return this.#d.source.lastSeq();
  }

  protected async round(): Promise<number> {
    let applied = 0;
    for (;;) {
      const next = await this.#d.source.after(this.cursor);
      if (next.length === 0) return applied;
      await this.#d.apply(next.map((t) => ({ id: t.id, key: t.key })));
      this.cursor = next[next.length - 1]!.seq;
      applied += next.length;
    }
  }
}
