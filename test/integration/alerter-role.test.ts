/**
 * `vigil alerter` scaled out, in-process against real Kafka, PostgreSQL, Redis and InfluxDB: two
 * alerter replicas (one active by the PostgreSQL lock, one standby) and one `vigil api`. A rule
 * stored through the API, an anomaly on the anomalies topic exactly as a detector writes it, and
 * a signed notification at a real loopback webhook receiver; the incident is served by the API.
 * Then the active alerter stops, the standby takes over from the saved state and the committed
 * offsets, and a second anomaly pages once — the first is not paged again.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../../src/adapters/notify/index.ts';
import { type AlerterRoleHandle, startAlerterRole } from '../../src/app/alerter-role.ts';
import { startApi } from '../../src/app/api.ts';
import { openScaledOut, type ScaledOut, topicsOf } from '../../src/app/backends.ts';
import type { RoleHandle } from '../../src/app/detector.ts';
import { loadConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Anomaly } from '../../src/core/anomaly.ts';
import { service } from '../support/services.ts';

const SECRET = 'a-secret-of-16-chars-at-least';
const run = `alerter${randomBytes(3).toString('hex')}`;
const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
const received: { body: string; headers: IncomingHttpHeaders }[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
    res.writeHead(204).end();
  });
});

let config: Readonly<Config>;
let out: ScaledOut;
let api: RoleHandle;
const alerters: AlerterRoleHandle[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v !== undefined) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Publishes an anomaly change the way a detector does (JSON on the anomalies topic). */
async function publish(key: string, start: number): Promise<void> {
  const [id] = await out.catalog.resolve([key], Date.now());
  const a: Anomaly = {
    seriesId: id!,
    start,
    end: start + 60_000,
    peakScore: 0.99,
    peakValue: 100,
    peakExpected: 10,
    direction: 'up',
    points: 3,
    detector: 'ewma',
    open: true,
  } as Anomaly;
  await out.log.append(topicsOf(config).anomalies, [
    { partition: 0, value: new TextEncoder().encode(JSON.stringify(a)) },
  ]);
}

const bodies = () =>
  received.map((r) => JSON.parse(r.body) as { dedupKey: string; sequence: number; status: string });

beforeAll(async () => {
  const env: Record<string, string> = {};
  for (const s of ['kafka', 'postgres', 'redis', 'influxdb'] as const) Object.assign(env, service(s));
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const file = join(dir, 'config.json');
  writeFileSync(
    file,
    JSON.stringify({
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      kafka: { topicPrefix: `vigil-${run}`, partitions: 2 },
      postgres: { schema: run },
      influx: { database: run },
      redis: { keyPrefix: `${run}:` },
      alerting: {
        tickMs: 100,
        reloadMs: 200,
        notifiers: { hook: { type: 'webhook', url: hook, secret: SECRET } },
      },
    }),
  );
  config = loadConfig({ file, env: { ...process.env, ...env } });
  out = await openScaledOut(config, pino({ level: 'silent' }));
  alerters.push(await startAlerterRole(config));
  await alerters[0]!.becameActive;
  alerters.push(await startAlerterRole(config));
  api = await startApi(config);
}, 180_000);

afterAll(async () => {
  await api?.close();
  for (const a of alerters) await a.close();
  await out?.close();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('vigil alerter', () => {
  it('pages a rule stored through vigil api, once, with a valid signature; the standby takes over', async () => {
    expect(alerters.map((a) => a.active)).toEqual([true, false]);
    const rule = await fetch(`${api.url}/api/v1/alert-rules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'cpu-high', match: 'cpu', groupBy: ['host'], notifiers: ['hook'] }),
    });
    expect(rule.status).toBe(201);

    const t0 = Date.now() - 120_000;
    await publish('cpu{host="a"}', t0);
    const first = await until('the first notification', () =>
      received.length > 0 ? received[0] : undefined,
    );
    const check = verifyWebhook({
      secret: SECRET,
      body: first.body,
      timestamp: first.headers['x-vigil-timestamp'] as string | undefined,
      signature: first.headers['x-vigil-signature'] as string | undefined,
      nowMs: Date.now(),
    });
    expect(check.ok).toBe(true);
    expect(bodies()[0]).toMatchObject({ status: 'firing', rule: 'cpu-high', labels: { host: 'a' } });

    const incidents = await until('the incident through vigil api', async () => {
      const r = await fetch(`${api.url}/api/v1/incidents`);
      const list = ((await r.json()) as { incidents: { id: string }[] }).incidents;
      return list.length > 0 ? list : undefined;
    });
    expect(incidents).toHaveLength(1);

    // Failover: the active one stops; the standby holds the lock, restores, reads from the offsets.
    await alerters[0]!.close();
    await alerters[1]!.becameActive;
    await publish('cpu{host="b"}', t0 + 1_000);
    await until('the second notification', () =>
      bodies().some((b) => (b as { labels?: { host?: string } }).labels?.host === 'b') ? true : undefined,
    );
    await sleep(1_000); // room for a wrongful repeat to arrive
    const keys = bodies().map((b) => `${b.dedupKey}#${b.sequence}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(bodies().filter((b) => b.status === 'firing')).toHaveLength(2);
  }, 180_000);
});
