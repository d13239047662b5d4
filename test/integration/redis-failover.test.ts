/**
 * RedisCache through a master failover. A cluster of its own (state under
 * .services/redis-failover/, stopped at the end) so that killing a master cannot disturb other test
 * files using the shared one.
 *
 * One key per slot is written and confirmed replicated (each replica's offset has caught up with
 * its master's), then one master is killed -9. The same RedisCache keeps writing and reading: once
 * the replica has taken over (bounded wait), operations succeed again and every key written before
 * the kill is still there. Finally the killed node is started again and rejoins.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRedisCache } from '../../src/adapters/redis/index.ts';
import { isVigilError } from '../../src/core/errors.ts';
import type { Cache } from '../../src/ports/cache.ts';
import { service } from '../support/services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const servicesDir = join(root, '.services', 'redis-failover');
const SLOTS = 16384;
const FAILOVER_LIMIT_MS = 60_000;

/** Runs scripts/services/redis.sh against this file's own cluster. */
function redisSh(...args: string[]): string {
  return execFileSync('bash', [join(root, 'scripts/services/redis.sh'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_SERVICES_DIR: servicesDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  }).trim();
}

/** CRC16/XMODEM, the hash Redis Cluster maps keys to slots with (slot = crc16 mod 16384). */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** tags[slot]: a hash tag that hashes to `slot`, so `{tag}…` keys cover every slot once. */
function tagPerSlot(): string[] {
  const tags: string[] = new Array(SLOTS);
  let found = 0;
  for (let i = 0; found < SLOTS; i++) {
    const tag = `t${i}`;
    const slot = crc16(tag) % SLOTS;
    if (tags[slot] === undefined) {
      tags[slot] = tag;
      found++;
    }
  }
  return tags;
}

const info = async (port: number, section: string) => (await direct(port, (r) => r.info(section))) as string;

/** One short-lived connection to one node (not the cluster client), for checks and admin. */
async function direct<T>(port: number, body: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  r.on('error', () => {});
  try {
    await r.connect();
    return await body(r);
  } finally {
    r.disconnect();
  }
}

/** Waits (bounded) until every replica's offset equals its master's: all writes so far replicated. */
async function waitReplicated(ports: number[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    let behind = 0;
    for (const port of ports) {
      const text = await info(port, 'replication');
      if (!text.includes('role:master')) continue;
      const masterOffset = Number(/master_repl_offset:(\d+)/.exec(text)![1]);
      const replicas = [...text.matchAll(/^slave\d+:.*offset=(\d+)/gm)];
      if (replicas.length === 0 || replicas.some((m) => Number(m[1]) < masterOffset)) behind++;
    }
    if (behind === 0) return;
    if (Date.now() > deadline) throw new Error(`${behind} master(s) not replicated after 30 s`);
    await sleep(100);
  }
}

async function inChunks<T>(items: T[], size: number, each: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(each));
}

let ports: number[] = [];
let cache: Cache | undefined;

beforeAll(() => {
  const nodes = service('redis', { VIGIL_SERVICES_DIR: servicesDir }).VIGIL_REDIS_NODES!.split(',');
  ports = nodes.map((n) => Number(n.split(':')[1]));
});

afterAll(async () => {
  await cache?.close();
  redisSh('down');
  rmSync(servicesDir, { recursive: true, force: true });
});

it('keeps serving through a master failover without losing replicated keys', {
  timeout: 240_000,
}, async () => {
  const nodes = ports.map((p) => `127.0.0.1:${p}`);
  cache = await openRedisCache({ nodes, keyPrefix: `failover:${randomUUID()}:`, unavailableAfterMs: 20_000 });
  const tags = tagPerSlot();
  const slots = [...tags.keys()];

  await inChunks(slots, 512, (slot) => cache!.set(`{${tags[slot]}}:before`, `v${slot}`));
  await waitReplicated(ports);

  const slotMap = await direct(ports[0]!, (r) => r.cluster('SLOTS'));
  // A client that may wait only 500 ms: no replica can take over that fast (cluster-node-timeout
  // is 2 s), so its write to the dead master's slots must fail, with VIGIL_ERR_UNAVAILABLE.
  const impatient = await openRedisCache({
    nodes,
    keyPrefix: 'failover-impatient:',
    unavailableAfterMs: 500,
  });
  const killed = Number(redisSh('kill-master'));
  const killedAt = performance.now();
  expect(ports).toContain(killed);
  const killedSlots = slotMap.filter((range) => range[2][1] === killed).map(([from, to]) => [from, to]);
  expect(killedSlots.length).toBeGreaterThan(0);
  const probeTag = tags[killedSlots[0]![0]!]!;
  await expect(impatient.set(`{${probeTag}}:x`, 'x')).rejects.toMatchObject({
    code: 'VIGIL_ERR_UNAVAILABLE',
  });
  await impatient.close();

  // Keep writing and reading a key of the dead master's slots until the replica has taken over.
  let unavailable = 0;
  let round = 0;
  for (;;) {
    try {
      await cache.set(`{${probeTag}}:during`, `r${round}`);
      expect(await cache.get(`{${probeTag}}:during`)).toBe(`r${round}`);
      break;
    } catch (err) {
      if (!isVigilError(err) || err.code !== 'VIGIL_ERR_UNAVAILABLE') throw err;
      unavailable++;
    }
    if (performance.now() - killedAt > FAILOVER_LIMIT_MS) throw new Error('no failover within 60 s');
    round++;
  }
  const failoverMs = Math.round(performance.now() - killedAt);
  console.log(
    `redis failover: writes to the killed master's slots succeed again ${failoverMs} ms after the kill`,
  );
  console.log(`(${unavailable} operation(s) gave up with VIGIL_ERR_UNAVAILABLE before that)`);

  const lost: number[] = [];
  await inChunks(slots, 512, async (slot) => {
    if ((await cache!.get(`{${tags[slot]}}:before`)) !== `v${slot}`) lost.push(slot);
  });
  expect(lost).toEqual([]);

  // Every slot takes writes again, and the counters and leases work on the new master.
  await inChunks(slots, 512, (slot) => cache!.set(`{${tags[slot]}}:after`, `w${slot}`));
  expect(await cache.get(`{${tags[SLOTS - 1]}}:after`)).toBe(`w${SLOTS - 1}`);
  expect(await cache.setIfAbsent(`{${probeTag}}:lease`, 'me', 60_000)).toBe(true);
  expect(await cache.incrWindow(`{${probeTag}}:rate`, 60_000, Date.UTC(2030, 0, 1))).toBe(1);

  redisSh('start-node', String(killed));
  for (const port of ports) {
    expect(await direct(port, (r) => r.cluster('INFO'))).toContain('cluster_state:ok');
  }
  expect(await info(killed, 'replication')).toContain('role:slave');
  expect(await cache.get(`{${tags[0]}}:before`)).toBe('v0');
});
