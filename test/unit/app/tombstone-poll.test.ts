/**
 * TombstonePoll: starts after the tombstones that exist at start, hands each later one to `apply`
 * once, in order and in pages, and moves its cursor only once `apply` succeeded (a failed round is
 * retried whole at the next poll).
 */
import { describe, expect, it } from 'vitest';
import { TombstonePoll } from '../../../src/app/tombstone-poll.ts';

function source(initial: number) {
  const rows = Array.from({ length: initial }, (_, i) => ({ seq: i + 1, id: 100 + i, key: `k${i}` }));
  return {
    rows,
    add: (n: number) => {
      for (let i = 0; i < n; i++)
        rows.push({ seq: rows.length + 1, id: 100 + rows.length, key: `k${rows.length}` });
    },
    after: async (seq: number) => rows.filter((r) => r.seq > seq).slice(0, 2),
    lastSeq: async () => rows.length,
  };
}

describe('TombstonePoll', () => {
  it('applies only tombstones after the start, each once, in order', async () => {
    const src = source(3);
    const seen: number[] = [];
    const poll = new TombstonePoll({
      source: src,
      apply: async (ts) => {
        seen.push(...ts.map((t) => t.id));
      },
      failed: () => {},
    });
    await poll.start(600_000);
    expect(await poll.poll()).toBe(0);
    src.add(5);
    expect(await poll.poll()).toBe(5);
    expect(await poll.poll()).toBe(0);
    expect(seen).toEqual([103, 104, 105, 106, 107]);
    await poll.stop();
  });

  it('retries a round whose apply failed, from where it stood', async () => {
    const src = source(0);
    const seen: number[] = [];
    let fail = true;
    const poll = new TombstonePoll({
      source: src,
      apply: async (ts) => {
        if (fail) throw new Error('store down');
        seen.push(...ts.map((t) => t.id));
      },
      failed: () => {},
    });
    await poll.start(600_000);
    src.add(1);
    await expect(poll.poll()).rejects.toThrow('store down');
    fail = false;
    expect(await poll.poll()).toBe(1);
    expect(seen).toEqual([100]);
    await poll.stop();
  });
});
