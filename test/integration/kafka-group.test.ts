/**
 * KafkaGroupConsumer: two members of one group split a 4-partition topic; the one in a child
 * process is killed with SIGKILL while records keep arriving. Its partitions move to the survivor,
 * which resumes each from the offset the test keeps "externally" (a Map standing in for the
 * checkpoint store, written after every handled batch, as a task checkpoints).
 *
 * Because a batch counts as handled exactly when its checkpoint is written, every record must be
 * handled exactly once, and each batch of a partition must start where the stored offset points:
 * a gap would be a lost record, an overlap a partition read by two members or from a wrong offset.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { connectKafka, KafkaGroupConsumer, resolveKafkaConfig } from '../../src/adapters/kafka/index.ts';
import { service } from '../support/services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const brokers = service('kafka').VIGIL_KAFKA_BROKERS!;
const run = randomUUID().slice(0, 8);
const topic = `vigil-group-${run}`;
const groupId = `vigil-group-${run}`;
const PARTITIONS = 4;
const PER_ROUND = 40;
const MAX_RECORDS = 8_000;

const clients = connectKafka({ brokers: brokers.split(','), clientId: `group-test-${run}` });
const children: ChildProcess[] = [];
let survivor: KafkaGroupConsumer | null = null;

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await survivor?.close();
  await clients.topics.delete([topic]);
  await clients.close();
});

/** Waits until `cond` holds, polling; fails the test after `ms`. */
async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

it('a killed member’s partitions resume on the survivor from the stored offsets', async () => {
  await clients.topics.ensure(topic, PARTITIONS);

  // The checkpoint store: partition → next offset to read. `handle` is the only writer.
  const store = new Map<number, number>();
  const handled: { by: string; partition: number; offset: number; value: string }[] = [];
  const misplaced: string[] = [];
  const handle = (by: string, partition: number, offsets: number[], values: string[]) => {
    const expected = store.get(partition) ?? 0;
    if (offsets[0] !== expected) {
      misplaced.push(`${by} p${partition}: batch starts at ${offsets[0]}, stored offset ${expected}`);
    }
    offsets.forEach((offset, i) => {
      handled.push({ by, partition, offset, value: values[i]! });
    });
    store.set(partition, offsets[offsets.length - 1]! + 1);
  };

  const errors: string[] = [];
  survivor = await KafkaGroupConsumer.join(
    resolveKafkaConfig({
      brokers: brokers.split(','),
      clientId: `group-test-${run}`,
      sessionTimeoutMs: 3_000,
      heartbeatIntervalMs: 500,
      rebalanceTimeoutMs: 10_000,
    }),
    {
      groupId,
      topics: [topic],
      handlers: {
        startOffset: async (_t, p) => store.get(p),
        onRecords: async (_t, p, records) =>
          handle(
            'survivor',
            p,
            records.map((r) => r.offset),
            records.map((r) => r.value.toString()),
          ),
        onError: (e) => errors.push(e.message),
      },
    },
  );
  expect(survivor.assignment.map((a) => a.partition).sort()).toEqual([0, 1, 2, 3]);

  // Records keep arriving in the background: PER_ROUND per round over all partitions.
  let produced = 0;
  let producing = true;
  const producer = (async () => {
    while (producing && produced < MAX_RECORDS) {
      const batch = Array.from({ length: PER_ROUND }, (_, i) => ({
        partition: (produced + i) % PARTITIONS,
        value: Buffer.from(`r${produced + i}`),
      }));
      await clients.producer.send(topic, batch);
      produced += PER_ROUND;
      await sleep(20);
    }
  })();

  // The child member joins; the group splits the partitions between the two.
  let childPartitions: number[] = [];
  const child = spawn(
    process.execPath,
    [join(root, 'test/integration/fixtures/kafka-group-member.ts'), brokers, groupId, topic],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  children.push(child);
  let childHandled = 0;
  child.on(
    'message',
    (
      m: { type: string; id?: number; partition?: number; partitions?: number[] } & {
        offsets?: number[];
        values?: string[];
      },
    ) => {
      if (m.type === 'assigned') childPartitions = m.partitions!;
      else if (m.type === 'start') child.send({ id: m.id, offset: store.get(m.partition!) });
      else if (m.type === 'records') {
        handle('child', m.partition!, m.offsets!, m.values!);
        childHandled += m.offsets!.length;
        child.send({ id: m.id });
      }
    },
  );
  await until('the child to handle records', () => childHandled >= 200, 60_000);
  const owned = survivor.assignment.map((a) => a.partition);
  expect(childPartitions.length).toBeGreaterThan(0);
  expect(owned.length).toBeGreaterThan(0);
  expect([...owned, ...childPartitions].sort()).toEqual([0, 1, 2, 3]);

  // Mid-stream: the child dies without leaving the group.
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const storedAtKill = new Map(childPartitions.map((p) => [p, store.get(p) ?? 0]));

  // The coordinator notices after the session timeout; the survivor takes everything over.
  await until('the survivor to own all partitions', () => survivor!.assignment.length === PARTITIONS, 30_000);
  await sleep(1_000); // keep producing a little after the takeover
  producing = false;
  await producer;

  const ends = await Promise.all(
    Array.from({ length: PARTITIONS }, (_, p) => clients.reader.bounds(topic, p).then((b) => b.end)),
  );
  await until(
    'every produced record to be handled',
    () => ends.every((end, p) => (store.get(p) ?? 0) === end),
    60_000,
  );

  expect(misplaced).toEqual([]);
  expect(ends.reduce((a, b) => a + b, 0)).toBe(produced);
  expect(handled.length).toBe(produced);
  expect(new Set(handled.map((h) => h.value)).size).toBe(produced);
  for (const [p, offset] of storedAtKill) {
    const after = handled.filter((h) => h.partition === p && h.by === 'survivor' && h.offset >= offset);
    // The survivor picked the partition up exactly at the stored offset.
    expect(after[0]?.offset).toBe(offset);
  }
  expect(childHandled).toBeGreaterThan(0);
}, 180_000);
