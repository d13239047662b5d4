/**
 * Fault test of `vigil alerter` (a child process on real Kafka and PostgreSQL): kill -9 while it
 * delivers to a slow webhook receiver, start it again: every notification is accepted by the
 * receiver, none twice (counted by dedupKey#sequence). The receiver accepts a request only if its
 * sender is still there to hear the answer; the one cut by the kill arrives again once its lease
 * runs out (the notifier's timeout + 30 s), so this test takes about 40 s.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { openScaledOut, type ScaledOut, topicsOf } from '../../src/app/backends.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Anomaly } from '../../src/core/anomaly.ts';
import { service } from '../support/services.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = existsSync(join(ROOT, 'node_modules/.bin/node'))
  ? join(ROOT, 'node_modules/.bin/node')
  : process.execPath;
const SERIES = 5;
const run = `alkill${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-kill-'));
const file = join(dir, 'config.json');
const env: Record<string, string> = {};
/** Accepted deliveries (`X-Vigil-Delivery`), and requests whose sender was gone before the answer. */
const accepted: string[] = [];
let cut = 0;
let firstRequest: () => void = () => {};
const receiver = createServer((req, res) => {
  firstRequest();
  req.resume();
  req.on('end', () => {
    setTimeout(() => {
      if (req.socket.destroyed) {
        cut++;
        return;
      }
      accepted.push(String(req.headers['x-vigil-delivery']));
      res.writeHead(204).end();
    }, 1_000);
  });
});

let config: Readonly<Config>;
let out: ScaledOut;
let child: ChildProcess | undefined;

function startAlerter(): ChildProcess {
  const fd = openSync(join(dir, 'alerter.log'), 'a');
  return spawn(NODE, [join(ROOT, 'bin/vigil.mjs'), 'alerter', '--config', file, '--port', '0'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  for (const s of ['kafka', 'postgres', 'redis', 'influxdb'] as const) Object.assign(env, service(s));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  writeFileSync(
    file,
    JSON.stringify({
      logLevel: 'info',
      http: { host: '127.0.0.1', port: await freePort() },
      kafka: { topicPrefix: `vigil-${run}`, partitions: 2 },
      postgres: { schema: run },
      influx: { database: run },
      redis: { keyPrefix: `${run}:` },
      alerting: {
        tickMs: 100,
        rules: [{ name: 'cpu', match: 'cpu', groupBy: ['host'], notifiers: ['hook'] }],
        notifiers: { hook: { type: 'webhook', url: hook, secret: 'a-secret-of-16-chars', timeoutMs: 2_000 } },
        delivery: { concurrency: 1, initialBackoffMs: 100, maxBackoffMs: 500, pollIntervalMs: 100 },
      },
    }),
  );
  config = loadConfig({ file, env: { ...process.env, ...env } });
  out = await openScaledOut(config, pino({ level: 'silent' }));
}, 180_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await out?.close();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil alerter, kill -9 while delivering', () => {
  it('delivers every notification, none twice, after a restart', async () => {
    const topic = topicsOf(config).anomalies;
    await out.log.ensureTopic(topic, config.kafka.partitions);
    const start = Date.now() - 300_000;
    const records = [];
    for (let i = 0; i < SERIES; i++) {
      const [id] = await out.catalog.resolve([`cpu{host="h${i}"}`], Date.now());
      const a: Anomaly = {
        seriesId: id!,
        start: start + i * 1_000,
        end: start + i * 1_000 + 60_000,
        peakScore: 0.99,
        peakValue: 100,
        peakExpected: 10,
        direction: 'up',
        points: 3,
        detector: 'ewma',
        open: true,
      };
      records.push({ partition: i % 2, value: new TextEncoder().encode(JSON.stringify(a)) });
    }
    await out.log.append(topic, records);

    const requested = new Promise<void>((r) => {
      firstRequest = r;
    });
    child = startAlerter();
    await requested; // a delivery is in flight at the slow receiver
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    firstRequest = () => {};
    child = startAlerter();

    const deadline = Date.now() + 120_000;
    while (new Set(accepted).size < SERIES && Date.now() < deadline) await sleep(200);
    await sleep(2_000); // room for a wrongful repeat to arrive
    const log = readFileSync(join(dir, 'alerter.log'), 'utf8');
    expect(new Set(accepted).size, log.slice(-3000)).toBe(SERIES);
    expect(accepted).toHaveLength(SERIES);
    expect(cut).toBeGreaterThan(0); // the kill did cut a delivery
  }, 240_000);
});
