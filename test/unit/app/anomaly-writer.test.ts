/**
 * SharedAnomalyWriter: rounds are stored one at a time and published in the order stored; the next
 * round is stored while the previous one is still being published; a write resolves only once its
 * round is published, and rejects if its store or its publish failed.
 */
import { describe, expect, it } from 'vitest';
import { SharedAnomalyWriter } from '../../../src/app/anomaly-writer.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';

const an = (seriesId: number, start: number): Anomaly => ({
  seriesId,
  start,
  end: start,
  peakScore: 1,
  peakValue: 5,
  peakExpected: 1,
  direction: 'up',
  points: 1,
  detector: 'ewma',
  open: true,
});

/** A promise with its resolve/reject in hand. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const p = new Promise<void>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { p, open, fail };
}

const tick = () => new Promise((r) => setImmediate(r));
const starts = (m: ReadonlyMap<number, readonly Anomaly[]>) => [...m.values()].flat().map((a) => a.start);

describe('SharedAnomalyWriter', () => {
  it('stores the next round while the previous one is being published, and publishes in order', async () => {
    const events: string[] = [];
    const publishGates = [gate(), gate()];
    let published = 0;
    const w = new SharedAnomalyWriter({
      store: async (m) => {
        events.push(`store ${starts(m)}`);
      },
      publish: async (m) => {
        events.push(`publish ${starts(m)} start`);
        await publishGates[published++]!.p;
        events.push(`publish ${starts(m)} done`);
      },
    });
    const settled: string[] = [];
    const first = w
      .forPartition(0)
      .write([an(1, 10)])
      .then(() => settled.push('first'));
    await tick();
    const second = w
      .forPartition(1)
      .write([an(2, 20)])
      .then(() => settled.push('second'));
    await tick();
    // Round 2 is stored although round 1's publish has not finished; its publish waits for round 1's.
    expect(events).toEqual(['store 10', 'publish 10 start', 'store 20']);
    expect(settled).toEqual([]);
    publishGates[0]!.open();
    await first;
    await tick();
    expect(events).toEqual([
      'store 10',
      'publish 10 start',
      'store 20',
      'publish 10 done',
      'publish 20 start',
    ]);
    expect(settled).toEqual(['first']);
    publishGates[1]!.open();
    await second;
    expect(settled).toEqual(['first', 'second']);
  });

  it("groups the changes that arrive during a store into one round, each partition's in order", async () => {
    const rounds: Map<number, number[]>[] = [];
    const storeGate = gate();
    let stores = 0;
    const w = new SharedAnomalyWriter({
      store: async (m) => {
        rounds.push(new Map([...m].map(([p, l]) => [p, l.map((a) => a.start)])));
        if (stores++ === 0) await storeGate.p;
      },
      publish: async () => {},
    });
    const a = w.forPartition(0).write([an(1, 1)]);
    await tick();
    const b = w.forPartition(3).write([an(2, 2)]);
    const c = w.forPartition(0).write([an(1, 3), an(1, 4)]);
    storeGate.open();
    await Promise.all([a, b, c]);
    expect(rounds).toEqual([
      new Map([[0, [1]]]),
      new Map([
        [3, [2]],
        [0, [3, 4]],
      ]),
    ]);
  });

  it('rejects the writes of a round whose store or publish failed, and goes on with the next', async () => {
    let failStore = true;
    let failPublish = false;
    const published: number[][] = [];
    const w = new SharedAnomalyWriter({
      store: async () => {
        if (failStore) throw new Error('postgres is down');
      },
      publish: async (m) => {
        if (failPublish) throw new Error('kafka is down');
        published.push(starts(m));
      },
    });
    await expect(w.forPartition(0).write([an(1, 1)])).rejects.toThrow('postgres is down');
    failStore = false;
    failPublish = true;
    await expect(w.forPartition(0).write([an(1, 2)])).rejects.toThrow('kafka is down');
    failPublish = false;
    await w.forPartition(0).write([an(1, 3)]);
    expect(published).toEqual([[3]]);
  });
});
