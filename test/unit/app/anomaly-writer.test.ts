/**
 * SharedAnomalyWriter: rounds are stored one at a time and published in the order stored; the next
 * round is stored while the previous one is still being published; a write resolves once its round
 * is stored and rejects if the store failed; `published(p)` resolves once p's stored changes are
 * published, rejects when a publish attempt fails, and failed publishes are retried in order.
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
  it('resolves a write once stored, stores the next round during the publish, and publishes in order', async () => {
    const events: string[] = [];
    const publishGates = [gate(), gate()];
    let publishing = 0;
    const w = new SharedAnomalyWriter({
      store: async (m) => {
        events.push(`store ${starts(m)}`);
      },
      publish: async (m) => {
        events.push(`publish ${starts(m)} start`);
        await publishGates[publishing++]!.p;
        events.push(`publish ${starts(m)} done`);
      },
    });
    const published: string[] = [];
    await w.forPartition(0).write([an(1, 10)]);
    const firstOut = w.published(0).then(() => published.push('p0'));
    await tick();
    // Stored, not yet published: the partition's next change is stored without waiting.
    await w.forPartition(1).write([an(2, 20)]);
    const secondOut = w.published(1).then(() => published.push('p1'));
    await tick();
    expect(events).toEqual(['store 10', 'publish 10 start', 'store 20']);
    expect(published).toEqual([]);
    publishGates[0]!.open();
    await firstOut;
    await tick();
    expect(events).toEqual([
      'store 10',
      'publish 10 start',
      'store 20',
      'publish 10 done',
      'publish 20 start',
    ]);
    expect(published).toEqual(['p0']);
    publishGates[1]!.open();
    await secondOut;
    expect(published).toEqual(['p0', 'p1']);
    // Nothing of partition 5 was ever stored: nothing to wait for.
    await w.published(5);
  });

  it('publishes the rounds stored during an append together in the next append, in the order stored', async () => {
    const appends: Map<number, number[]>[] = [];
    const first = gate();
    const w = new SharedAnomalyWriter({
      store: async () => {},
      publish: async (m) => {
        appends.push(new Map([...m].map(([p, l]) => [p, l.map((a) => a.start)])));
        if (appends.length === 1) await first.p;
      },
    });
    await w.forPartition(0).write([an(1, 1)]);
    await tick();
    await w.forPartition(0).write([an(1, 2)]);
    await w.forPartition(2).write([an(3, 3)]);
    await w.forPartition(0).write([an(1, 4)]);
    first.open();
    await Promise.all([w.published(0), w.published(2)]);
    expect(appends).toEqual([
      new Map([[0, [1]]]),
      new Map([
        [0, [2, 4]],
        [2, [3]],
      ]),
    ]);
  });

  it('stores a round of another partition while one is stuck, up to storesInFlight', async () => {
    const storeGate = gate();
    const stored: number[] = [];
    const w = new SharedAnomalyWriter(
      {
        store: async (m) => {
          if (starts(m)[0] === 1) await storeGate.p;
          stored.push(...starts(m));
        },
        publish: async () => {},
      },
      { storesInFlight: 2 },
    );
    const stuck = w.forPartition(0).write([an(1, 1)]);
    await tick();
    await w.forPartition(1).write([an(2, 2)]);
    expect(stored).toEqual([2]);
    storeGate.open();
    await stuck;
    expect(stored).toEqual([2, 1]);
  });

  it("groups the changes that arrive while the stores are busy into one round, each partition's in order", async () => {
    const rounds: Map<number, number[]>[] = [];
    const storeGate = gate();
    let stores = 0;
    const w = new SharedAnomalyWriter(
      {
        store: async (m) => {
          rounds.push(new Map([...m].map(([p, l]) => [p, l.map((a) => a.start)])));
          if (stores++ === 0) await storeGate.p;
        },
        publish: async () => {},
      },
      { storesInFlight: 1 },
    );
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

  it('rejects the writes of a failed store; retries a failed publish in order until it succeeds', async () => {
    let failStore = true;
    let failPublish = false;
    const published: number[][] = [];
    const failures: string[] = [];
    const w = new SharedAnomalyWriter(
      {
        store: async () => {
          if (failStore) throw new Error('postgres is down');
        },
        publish: async (m) => {
          if (failPublish) throw new Error('kafka is down');
          published.push(starts(m));
        },
      },
      { retryMs: 1, publishFailed: (err) => failures.push((err as Error).message) },
    );
    await expect(w.forPartition(0).write([an(1, 1)])).rejects.toThrow('postgres is down');
    failStore = false;
    failPublish = true;
    // Stored: the write resolves; the publish fails, and a checkpoint waiting for it hears so.
    await w.forPartition(0).write([an(1, 2)]);
    await expect(w.published(0)).rejects.toThrow('kafka is down');
    await w.forPartition(1).write([an(2, 3)]);
    expect(published).toEqual([]);
    failPublish = false;
    await w.published(1);
    await w.published(0);
    // The failed round went out first, then the one stored after it; the failed store never did.
    expect(published).toEqual([[2], [3]]);
    expect(failures.length).toBeGreaterThan(0);
  });

  it('gives up retrying at close: waiting for the publish then fails', async () => {
    const w = new SharedAnomalyWriter(
      {
        store: async () => {},
        publish: async () => {
          throw new Error('kafka is down');
        },
      },
      { retryMs: 1 },
    );
    await w.forPartition(0).write([an(1, 1)]);
    await expect(w.published(0)).rejects.toThrow('kafka is down');
    w.close();
    await expect(w.published(0)).rejects.toThrow('closed before the publish succeeded');
  });
});
