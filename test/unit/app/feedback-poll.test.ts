/**
 * FeedbackPoll over a real SQLite FeedbackStore and recording tasks: a task it has not seen gets
 * every labelled series of its partition (a series whose labels were all removed gets none, so a
 * restored checkpoint forgets them); after that only changed series of hosted partitions are set,
 * with all their labels; a partition hosted later, or a task re-created, is loaded then; a failed
 * round leaves the cursor, so the next poll retries it.
 */
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteFeedbackStore } from '../../../src/adapters/sqlite/feedback-store.ts';
import { FeedbackPoll, type FeedbackSink } from '../../../src/app/feedback-poll.ts';
import type { FeedbackExample } from '../../../src/core/feedback/label.ts';
import type { FeedbackRecord } from '../../../src/ports/feedback-store.ts';

const rec = (id: string, seriesId: number, start: number): FeedbackRecord => ({
  id,
  tenant: 'default',
  seriesId,
  anomalyStart: start,
  label: 'not_anomaly',
  note: '',
  actor: 'anonymous',
  createdMs: start,
  peakValue: 9,
  peakExpected: 1,
  peakScore: 0.99,
});

class Task implements FeedbackSink {
  readonly set: [number, string[]][] = [];
  feedback(seriesId: number, examples: readonly FeedbackExample[]): void {
    this.set.push([seriesId, examples.map((e) => e.id)]);
  }
  take(): [number, string[]][] {
    return this.set.splice(0).sort((a, b) => a[0] - b[0]);
  }
}

/** Series n belongs to partition n % 2 (the catalog's key rule in production). */
function setup(failPartitionOf = () => false) {
  const store = new SqliteFeedbackStore(new DatabaseSync(':memory:'));
  const hosted = new Map<number, Task>();
  const poll = new FeedbackPoll({
    store,
    tasks: () => hosted,
    partitionOf: async (sid) => {
      if (failPartitionOf()) throw new Error('catalog down');
      return sid === 99 ? undefined : sid % 2;
    },
    failed: () => {},
    batch: 2,
  });
  return { store, hosted, poll };
}

describe('FeedbackPoll', () => {
  it("loads a new task's labelled series, then sets only changed series of hosted partitions", async () => {
    const { store, hosted, poll } = setup();
    await store.put([rec('a', 2, 10), rec('b', 2, 20), rec('c', 3, 10), rec('d', 4, 10)]);
    expect(await store.remove('default', 'd')).toBe(true);
    await poll.start(600_000);
    const even = new Task();
    hosted.set(0, even);
    expect(await poll.poll()).toBe(2);
    expect(even.take()).toEqual([
      [2, ['a', 'b']],
      [4, []],
    ]);
    expect(await poll.poll()).toBe(0);

    await store.put([rec('e', 6, 10), rec('f', 5, 10), rec('g', 99, 10)]);
    expect(await store.remove('default', 'a')).toBe(true);
    expect(await poll.poll()).toBe(2);
    expect(even.take()).toEqual([
      [2, ['b']],
      [6, ['e']],
    ]);
    expect(await poll.poll()).toBe(0);
    await poll.stop();
  });

  it('loads a partition hosted later, and a task re-created for a partition', async () => {
    const { store, hosted, poll } = setup();
    await poll.start(600_000);
    const even = new Task();
    hosted.set(0, even);
    await poll.poll();
    await store.put([rec('a', 3, 10), rec('b', 2, 10)]);
    expect(await poll.poll()).toBe(1);
    expect(even.take()).toEqual([[2, ['b']]]);

    const odd = new Task();
    hosted.set(1, odd);
    expect(await poll.poll()).toBe(1);
    expect(odd.take()).toEqual([[3, ['a']]]);
    expect(even.take()).toEqual([]);

    const again = new Task();
    hosted.set(0, again);
    expect(await poll.poll()).toBe(1);
    expect(again.take()).toEqual([[2, ['b']]]);
    expect(odd.take()).toEqual([]);
    await poll.stop();
  });

  it('retries a failed round at the next poll', async () => {
    let fail = false;
    const { store, hosted, poll } = setup(() => fail);
    await poll.start(600_000);
    const even = new Task();
    hosted.set(0, even);
    await poll.poll();
    await store.put([rec('a', 2, 10)]);
    fail = true;
    await expect(poll.poll()).rejects.toThrow('catalog down');
    fail = false;
    expect(await poll.poll()).toBe(1);
    expect(even.take()).toEqual([[2, ['a']]]);
    await poll.stop();
  });
});
