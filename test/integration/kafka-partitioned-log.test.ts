/**
 * The PartitionedLog port on Kafka, beyond what the role pipeline tests on the in-memory adapter:
 * topic creation rules, appends across partitions in one transaction, read-committed members that
 * skip aborted transactions, start offsets from the owner or the group's commits, and a clean
 * hand-over (revoke before the next owner is assigned) when a member leaves.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '@platformatic/kafka';
import { afterAll, expect, it } from 'vitest';
import { connectKafka, KafkaPartitionedLog } from '../../src/adapters/kafka/index.ts';
import { isVigilError } from '../../src/core/errors.ts';
import type { GroupHandlers, InRecord } from '../../src/ports/partitioned-log.ts';
import { service } from '../support/services.ts';

const brokers = service('kafka').VIGIL_KAFKA_BROKERS!.split(',');
const run = randomUUID().slice(0, 8);
const clients = connectKafka({
  brokers,
  clientId: `plog-test-${run}`,
  sessionTimeoutMs: 3_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 10_000,
});
const log = new KafkaPartitionedLog(clients);
const topics: string[] = [];
const topic = (name: string) => {
  const t = `vigil-plog-${run}-${name}`;
  topics.push(t);
  return t;
};

afterAll(async () => {
  await log.close();
  await clients.topics.delete(topics);
  await clients.close();
});

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Handlers that record what they see; `start` answers startOffset. */
function recorder(
  name: string,
  events: string[],
  start: (p: number) => number | undefined = () => undefined,
) {
  const got = new Map<number, InRecord[]>();
  const handlers: GroupHandlers = {
    assigned: async (ps) => {
      events.push(`${name} assigned ${[...ps].sort()}`);
    },
    startOffset: async (p) => start(p),
    records: async (p, rs) => {
      got.set(p, [...(got.get(p) ?? []), ...rs]);
    },
    revoked: async (ps) => {
      // A slow checkpoint: the next owner must not start before it is done.
      await sleep(300);
      events.push(`${name} revoked ${[...ps].sort()}`);
    },
  };
  const count = () => [...got.values()].reduce((n, rs) => n + rs.length, 0);
  return { handlers, got, count };
}

const rec = (partition: number, text: string) => ({ partition, value: Buffer.from(text) });
const text = (r: InRecord) => Buffer.from(r.value).toString();

it('ensureTopic is idempotent and refuses a partition count that differs', async () => {
  const t = topic('ensure');
  await log.ensureTopic(t, 3);
  await log.ensureTopic(t, 3);
  const other = connectKafka({ brokers, clientId: `plog-test-${run}-b` });
  try {
    await expect(new KafkaPartitionedLog(other).ensureTopic(t, 4)).rejects.toSatisfy(
      (e) => isVigilError(e) && e.code === 'VIGIL_ERR_CONFIG',
    );
  } finally {
    await other.close();
  }
});

it('an append across partitions is read in full; an aborted transaction is never seen', async () => {
  const t = topic('atomic');
  await log.ensureTopic(t, 3);
  await log.append(t, [rec(0, 'a0'), rec(1, 'a1'), rec(2, 'a2')]);

  // A transaction that aborts, written with the raw client, between two committed appends.
  const raw = new Producer({
    clientId: `plog-test-${run}-raw`,
    bootstrapBrokers: brokers,
    idempotent: true,
    transactionalId: `plog-test-${run}-raw`,
  });
  const tx = await raw.beginTransaction();
  await tx.send({
    messages: [0, 1, 2].map((p) => ({ topic: t, partition: p, value: Buffer.from(`x${p}`) })),
  });
  await tx.abort();
  await raw.close();
  await log.append(t, [rec(0, 'b0'), rec(2, 'b2')]);
  await log.append(t, [rec(1, 'c1')]);

  const events: string[] = [];
  const r = recorder('m', events);
  const m = await log.join(`plog-${run}-atomic`, t, r.handlers);
  await until('all committed records', () => r.count() === 6);
  await sleep(300); // nothing else may follow
  await m.close();
  expect([...r.got].sort().map(([p, rs]) => [p, rs.map(text)])).toEqual([
    [0, ['a0', 'b0']],
    [1, ['a1', 'c1']],
    [2, ['a2', 'b2']],
  ]);
  for (const rs of r.got.values()) {
    for (let i = 1; i < rs.length; i++) expect(rs[i]!.offset).toBeGreaterThan(rs[i - 1]!.offset);
  }
});

it("appends that pile up past the brokers' batch limit go out in several requests, all of them stored", async () => {
  // 40 appends of 40 kB to one partition, made at once: 1.6 MB, above the brokers' default
  // message.max.bytes (1 MiB) for one record batch. As one request the broker refuses them all.
  const t = topic('pile');
  await log.ensureTopic(t, 1);
  const n = 40;
  const value = (i: number) => Buffer.alloc(40_000, i);
  await Promise.all(Array.from({ length: n }, (_, i) => log.append(t, [{ partition: 0, value: value(i) }])));

  const r = recorder('m', []);
  const m = await log.join(`plog-${run}-pile`, t, r.handlers);
  await until('every appended record', () => r.count() === n);
  await m.close();
  const got = r.got.get(0)!;
  expect(got.map((x) => x.value[0])).toEqual(Array.from({ length: n }, (_, i) => i)); // in append order
  expect(got.every((x, i) => Buffer.from(x.value).equals(value(i)))).toBe(true);
});

it('members start where the owner says, else at the group commit; a leaving member revokes first', async () => {
  const t = topic('handover');
  const group = `plog-${run}-handover`;
  await log.ensureTopic(t, 2);
  // One partition per append: no transaction, so no commit markers, so offsets are 0..4.
  for (let i = 0; i < 5; i++) {
    await log.append(t, [rec(0, `p0-${i}`)]);
    await log.append(t, [rec(1, `p1-${i}`)]);
  }

  // A starts partition 0 at offset 2 (its "checkpoint"), partition 1 from the start (no commit yet).
  const events: string[] = [];
  const a = recorder('A', events, (p) => (p === 0 ? 2 : undefined));
  const ma = await log.join(group, t, a.handlers);
  await until('A reads both partitions', () => a.count() === 8);
  expect(a.got.get(0)!.map(text)).toEqual(['p0-2', 'p0-3', 'p0-4']);
  await ma.commit(0, 4); // progress reported below what A read: B must start there
  await ma.commit(1, 5);

  // B joins: eager rebalance, A revokes everything before anyone is assigned again.
  const b = recorder('B', events);
  const mb = await log.join(group, t, b.handlers);
  await until(
    'the partitions to be split',
    () =>
      events.filter((e) => e.startsWith('A assigned')).length === 2 &&
      events.some((e) => e.startsWith('B assigned')),
  );
  expect(events.slice(0, 2)).toEqual(['A assigned 0,1', 'A revoked 0,1']);

  // A leaves: it revokes its partition, then B (after revoking its own) gets both.
  await ma.close();
  await until('B to own both', () => events.includes('B assigned 0,1'));
  const final = events.indexOf('B assigned 0,1');
  expect(events.findLastIndex((e) => e.startsWith('A revoked'))).toBeLessThan(final);
  expect(events.findLastIndex((e) => e.startsWith('B revoked'))).toBeLessThan(final);

  await log.append(t, [rec(0, 'p0-5'), rec(1, 'p1-5')]); // a transaction this time
  const bTexts = () => [...b.got.values()].flat().map(text);
  await until('B reads the new records', () => bTexts().includes('p0-5') && bTexts().includes('p1-5'));
  await mb.close();

  // B had no start offsets of its own: it started at the group's commits, 4 and 5.
  expect(b.got.get(0)![0]!.offset).toBe(4);
  expect(bTexts()).toContain('p0-4');
  expect(bTexts().filter((x) => x.startsWith('p1-'))).toEqual(['p1-5']);
});
