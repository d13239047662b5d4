/**
 * The idempotent acks=all producer through a broker stop or crash and restart. A cluster of its
 * own (state under .services/kafka-fault/, stopped at the end), so stopping a broker cannot disturb
 * other test files using the shared one.
 *
 * Records with unique ids are sent one request after another while broker 2 goes down (a clean
 * SIGTERM shutdown that moves its leaderships first, or a SIGKILL crash that the controller notices
 * after the broker's session timeout), stays down, and starts again. A request the producer gives up
 * on is sent again by the test, like an ingest client retrying. Then every partition is read back:
 * every acknowledged record is there, and each appears once — plus at most once per failed request
 * that carried it (such a request may have been stored before it failed). Retries inside the
 * producer never duplicate: it is idempotent.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Admin } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectKafka, type KafkaClients } from '../../src/adapters/kafka/index.ts';
import { isVigilError } from '../../src/core/errors.ts';
import { service } from '../support/services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const servicesDir = join(root, '.services', 'kafka-fault');
const run = randomUUID().slice(0, 8);
const PARTITIONS = 3;
const PER_SEND = 20;

const exec = promisify(execFile);
const kafkaSh = (...args: string[]) =>
  exec('bash', [join(root, 'scripts/services/kafka.sh'), ...args], {
    env: { ...process.env, VIGIL_SERVICES_DIR: servicesDir },
    timeout: 300_000,
  });

let brokers: string[] = [];
let clients: KafkaClients;

beforeAll(() => {
  brokers = service('kafka', { VIGIL_SERVICES_DIR: servicesDir }).VIGIL_KAFKA_BROKERS!.split(',');
  clients = connectKafka({ brokers, clientId: 'fault-test', unavailableAfterMs: 10_000 });
}, 300_000);

afterAll(async () => {
  await clients?.close();
  await kafkaSh('down').catch(() => {});
  rmSync(servicesDir, { recursive: true, force: true });
}, 120_000);

/** Leader and in-sync replicas of each partition, as broker 1 (never stopped here) reports them. */
async function partitionState(topic: string): Promise<{ leader: number; isr: number[] }[]> {
  const admin = new Admin({ clientId: 'fault-test-check', bootstrapBrokers: [brokers[0]!] });
  try {
    const md = await admin.metadata({ topics: [topic], forceUpdate: true });
    return md.topics.get(topic)!.partitions.map((p) => ({ leader: p.leader, isr: [...p.isr].sort() }));
  } finally {
    await admin.close();
  }
}

/** Waits until `cond` holds, polling; fails the test after `ms`. */
async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

// stop-broker: SIGTERM, a controlled shutdown; kill-broker: SIGKILL, the controller fences the
// broker only after its session times out, and requests in flight to it are cut off.
it.each(['stop-broker', 'kill-broker'])(
  '%s 2: no acknowledged record is lost or duplicated',
  async (fault) => {
    const topic = `vigil-fault-${run}-${fault}`;
    await clients.topics.ensure(topic, PARTITIONS);
    expect((await partitionState(topic)).some((p) => p.leader === 2)).toBe(true);

    let next = 0;
    const acked = new Set<number>();
    /** id → how often a request carrying it failed (each failed request may still have landed). */
    const retried = new Map<number, number>();
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const ids = Array.from({ length: PER_SEND }, (_, i) => next + i);
        next += PER_SEND;
        // Sent again until acknowledged, like a client whose request failed with a retriable error.
        for (let attempt = 0; ; attempt++) {
          try {
            await clients.producer.send(
              topic,
              ids.map((id) => ({ partition: id % PARTITIONS, value: Buffer.from(String(id)) })),
            );
            for (const id of ids) acked.add(id);
            break;
          } catch (err) {
            if (!isVigilError(err) || !err.retriable || attempt >= 20) throw err;
            for (const id of ids) retried.set(id, (retried.get(id) ?? 0) + 1);
            await sleep(250);
          }
        }
      }
    })();
    producer.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile

    let beforeStop = 0;
    let whileDown = 0;
    let duringStop: { leader: number; isr: number[] }[] = [];
    try {
      await until('records to be acknowledged', () => acked.size >= 200, 30_000);
      beforeStop = acked.size;
      await kafkaSh(fault, '2');
      duringStop = await partitionState(topic);
      for (let i = 0; i < 40 && duringStop.some((p) => p.leader === 2); i++) {
        await sleep(250);
        duringStop = await partitionState(topic);
      }
      await sleep(3_000);
      whileDown = acked.size;
      await kafkaSh('start-broker', '2');
      await sleep(2_000);
    } finally {
      producing = false;
    }
    await producer;

    // The fault really happened: broker 2 led nothing while it was down, and records were
    // acknowledged before, during and after.
    expect(duringStop.every((p) => p.leader !== 2)).toBe(true);
    expect(beforeStop).toBeGreaterThan(0);
    expect(whileDown).toBeGreaterThan(beforeStop);
    expect(acked.size).toBeGreaterThan(whileDown);

    // Read everything back, partition by partition.
    const seen = new Map<number, number>();
    for (let p = 0; p < PARTITIONS; p++) {
      const { end } = await clients.reader.bounds(topic, p);
      let from = 0;
      while (from < end) {
        const got = await clients.reader.fetch(topic, p, from);
        for (const r of got.records) {
          const id = Number(r.value.toString());
          expect(id % PARTITIONS).toBe(p);
          seen.set(id, (seen.get(id) ?? 0) + 1);
        }
        expect(got.next).toBeGreaterThan(from);
        from = got.next;
      }
    }
    const lost = [...acked].filter((id) => !seen.has(id));
    const duplicated = [...seen].filter(([id, n]) => n > 1 + (retried.get(id) ?? 0)).map(([id]) => id);
    expect(lost).toEqual([]);
    expect(duplicated).toEqual([]);

    // Broker 2 catches up and rejoins every partition's in-sync replicas.
    const deadline = Date.now() + 60_000;
    let state = await partitionState(topic);
    while (!state.every((p) => p.isr.length === 3) && Date.now() < deadline) {
      await sleep(500);
      state = await partitionState(topic);
    }
    expect(state.map((p) => p.isr)).toEqual(Array.from({ length: PARTITIONS }, () => [1, 2, 3]));
    await clients.topics.delete([topic]);
  },
  240_000,
);
