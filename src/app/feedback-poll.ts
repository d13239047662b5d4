/**
 * Scaled out, how people's labels reach running detectors, the way series configs and deleted
 * series do: every `engine.configPollMs` a detector asks the FeedbackStore (PostgreSQL) which
 * series' labels changed since the change number it saw last (ports/feedback-store.ts) and sets
 * each such series' labels (all of them, oldest first: applying is idempotent) in the task of the
 * partition the series belongs to, where this detector hosts it. A round costs one indexed query
 * when nothing changed, and reads labels only of changed series this detector owns.
 *
 * A task this poll has not seen before (a partition assigned since the last round, or assigned
 * again) restored a checkpoint whose labels may be older than the store's: the round sets every
 * labelled series of its partition, including those whose last label was removed. So a label, or
 * its removal, reaches the detector that owns its series within one poll interval plus a round,
 * and a rebalance scores with older labels for at most that long.
 *
 * The cursor moves only once a batch is applied, so a failed round is retried at the next poll.
 */
import type { FeedbackExample } from '../core/feedback/label.ts';
import { partitionOf } from '../core/partitioner.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { ScaledOut } from './backends.ts';
import { CursorPoll } from './cursor-poll.ts';
import { examplesOf } from './feedback-service.ts';
import type { PartitionTasks } from './partition-tasks.ts';

/** A partition's task as the poll sees it (DetectionTask). */
export interface FeedbackSink {
  feedback(seriesId: number, examples: readonly FeedbackExample[]): void;
}

export interface FeedbackPollDeps {
  store: Pick<FeedbackStore, 'changedSince' | 'lastChange' | 'forSeries' | 'labelledSeries'>;
  /** The tasks hosted here now, by partition. */
  tasks(): Iterable<readonly [partition: number, task: FeedbackSink]>;
  /** The partition of a series (its key's, as ingest partitions); undefined once it is deleted. */
  partitionOf(seriesId: number): Promise<number | undefined>;
  /** A round failed (it is retried at the next poll). */
  failed(err: unknown): void;
  /** Changes read per query (default 1,000). */
  batch?: number;
}

export class FeedbackPoll extends CursorPoll {
  readonly #d: FeedbackPollDeps;
  /** Tasks whose labelled series have all been set once. */
  readonly #loaded = new WeakSet<FeedbackSink>();

  constructor(deps: FeedbackPollDeps) {
    super(deps.failed);
    this.#d = deps;
  }

  /** After the changes that exist now; a task new to the poll loads every label anyway. */
  protected lastChange(): Promise<number> {
    return this.#d.store.lastChange();
  }

  /** Resolves with how many series' labels it set. */
  protected async round(): Promise<number> {
    const hosted = new Map(this.#d.tasks());
    let applied = 0;
    for (;;) {
      const changes = await this.#d.store.changedSince(this.cursor, this.#d.batch ?? 1000);
      if (changes.length === 0) break;
      for (const c of changes) applied += await this.#set(hosted, c.seriesId);
      this.cursor = changes[changes.length - 1]!.seq;
    }
    const fresh = new Map([...hosted].filter(([, task]) => !this.#loaded.has(task)));
    if (fresh.size === 0) return applied;
    for (const sid of await this.#d.store.labelledSeries()) applied += await this.#set(fresh, sid);
    for (const task of fresh.values()) this.#loaded.add(task);
    return applied;
  }

  /** Sets the series' labels in its partition's task among `tasks`; 1 when it did, else 0. */
  async #set(tasks: ReadonlyMap<number, FeedbackSink>, seriesId: number): Promise<number> {
    const p = await this.#d.partitionOf(seriesId);
    const task = p === undefined ? undefined : tasks.get(p);
    if (task === undefined) return 0;
    task.feedback(seriesId, await examplesOf(this.#d.store, seriesId));
    return 1;
  }
}

/** A detector's poll over its tasks, started (how `vigil detector` wires it). */
export async function startFeedbackPoll(
  out: Pick<ScaledOut, 'feedback' | 'catalog'>,
  tasks: Pick<PartitionTasks, 'partitions' | 'task'>,
  opts: { partitions: number; intervalMs: number; failed(err: unknown): void },
): Promise<FeedbackPoll> {
  const poll = new FeedbackPoll({
    store: out.feedback,
    tasks: () =>
      tasks.partitions.flatMap((p) => {
        const task = tasks.task(p);
        return task === undefined ? [] : [[p, task] as const];
      }),
    partitionOf: async (sid) => {
      const s = await out.catalog.get(sid);
      return s === undefined ? undefined : partitionOf(s.key, opts.partitions);
    },
    failed: opts.failed,
  });
  await poll.start(opts.intervalMs);
  return poll;
}
