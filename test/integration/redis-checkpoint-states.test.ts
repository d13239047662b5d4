/**
 * RedisCheckpointStates on the shared cluster: per-partition state + offset, committed together,
 * merged across commits, never moved back by a stale writer, partitions kept apart.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisCheckpointStates } from '../../src/adapters/redis/checkpoint-states.ts';
import type { RedisConnection } from '../../src/adapters/redis/client.ts';
import { connectRedis } from '../../src/adapters/redis/index.ts';
import { service } from '../support/services.ts';

const keyPrefix = `cp-test:${randomUUID()}:`;
let redis: RedisConnection;
const used: RedisCheckpointStates[] = [];

const partition = (p: number) => {
  const s = new RedisCheckpointStates(redis, p, { keyPrefix });
  used.push(s);
  return s;
};

beforeAll(async () => {
  redis = await connectRedis({ nodes: service('redis').VIGIL_REDIS_NODES!.split(','), keyPrefix });
});

afterAll(async () => {
  for (const s of used) await s.clear();
  await redis?.close();
});

it('loads offset 0 and no states before the first commit', async () => {
  expect(await partition(0).load()).toEqual({ offset: 0, states: new Map() });
});

it('commits offset and states together and merges later commits per series', async () => {
  const cp = partition(1);
  await cp.commit(
    10,
    new Map([
      [1, 'a1'],
      [2, 'b1'],
    ]),
  );
  expect(await cp.load()).toEqual({
    offset: 10,
    states: new Map([
      [1, 'a1'],
      [2, 'b1'],
    ]),
  });
  await cp.commit(
    25,
    new Map([
      [2, 'b2'],
      [3, 'c1 ✓'],
    ]),
  );
  expect(await cp.load()).toEqual({
    offset: 25,
    states: new Map([
      [1, 'a1'],
      [2, 'b2'],
      [3, 'c1 ✓'],
    ]),
  });
  await cp.commit(30, new Map());
  expect((await cp.load()).offset).toBe(30);
});

it('refuses an older offset and leaves the stored checkpoint as it was; the same offset again is fine', async () => {
  const cp = partition(2);
  await cp.commit(100, new Map([[1, 'new']]));
  await expect(cp.commit(90, new Map([[1, 'stale']]))).rejects.toMatchObject({ code: 'VIGIL_ERR_STORAGE' });
  expect(await cp.load()).toEqual({ offset: 100, states: new Map([[1, 'new']]) });
  await cp.commit(100, new Map([[1, 'new']]));
  expect(await cp.load()).toEqual({ offset: 100, states: new Map([[1, 'new']]) });
});

it('keeps partitions apart and round-trips many series', async () => {
  const a = partition(3);
  const b = partition(4);
  const many = new Map(Array.from({ length: 20_000 }, (_, i) => [i, JSON.stringify({ mean: i / 3, n: i })]));
  await a.commit(7, many);
  await b.commit(8, new Map([[1, 'b']]));
  const loaded = await a.load();
  expect(loaded.offset).toBe(7);
  expect(loaded.states).toEqual(many);
  expect(await b.load()).toEqual({ offset: 8, states: new Map([[1, 'b']]) });
});

it('forgets the states of deleted series and keeps the offset and the other states', async () => {
  const cp = partition(6);
  await cp.commit(
    40,
    new Map([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]),
  );
  await cp.forget([1, 3, 99]);
  expect(await cp.load()).toEqual({ offset: 40, states: new Map([[2, 'b']]) });
});
