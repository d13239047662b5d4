/**
 * Notification delivery end to end over real loopback HTTP receivers (node:http): the signed
 * webhook verified by its receiver (and a tampered or stale request refused), Slack's body, an
 * unreachable notifier retried with backoff then given up and counted, Retry-After honoured, a
 * hung receiver holding only its own slot, dedup of a notification enqueued twice, a restart in
 * the middle of retrying, and the embedded server running delivery from its config.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { signWebhook, verifyWebhook } from '../../src/adapters/notify/index.ts';
import { openSqliteOutbox } from '../../src/adapters/sqlite/index.ts';
import { type Delivery, startDelivery } from '../../src/app/delivery-wiring.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { AlertNotification } from '../../src/core/alerting/notification.ts';
import { eventually, startTestServer } from '../helpers/embedded.ts';

const SECRET = 'webhook-secret-for-tests-0123';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A loopback HTTP receiver answering each request with `answer(request, index)`. */
async function receiver(answer: (r: Received, i: number) => Answer) {
  const got: Received[] = [];
  let open = 0;
  let maxOpen = 0;
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      got.push(r);
      const a = answer(r, got.length - 1);
      if (a === 'hang') {
        open++;
        maxOpen = Math.max(maxOpen, open);
        hanging.push(res);
        res.on('close', () => open--);
        return;
      }
      res.writeHead(a.status, a.headers ?? {}).end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    got,
    open: () => open,
    maxOpen: () => maxOpen,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The signed-webhook check a receiver does (docs/alerting.md shows the same in plain Node). */
const verifying = (r: Received): Answer =>
  verifyWebhook({
    secret: SECRET,
    body: r.body,
    timestamp: r.headers['x-vigil-timestamp'] as string | undefined,
    signature: r.headers['x-vigil-signature'] as string | undefined,
    nowMs: Date.now(),
  }).ok
    ? { status: 204 }
    : { status: 401, body: 'bad signature' };

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const FAST = { pollIntervalMs: 20, initialBackoffMs: 20, maxBackoffMs: 100 };

function deliveryWith(
  notifiers: Record<string, unknown>,
  delivery: Record<string, unknown> = {},
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-delivery-')),
) {
  const registry = new Registry();
  const config = validateConfig({ dataDir, alerting: { notifiers, delivery: { ...FAST, ...delivery } } });
  const d = startDelivery(config, { registry, env: { VIGIL_TEST_HOOK_SECRET: SECRET } }) as Delivery;
  cleanups.push(async () => {
    await d.delivery.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { d, registry, dataDir };
}

const notification = (sequence = 1, extra: Partial<AlertNotification> = {}): AlertNotification => {
  const incident = `inc-${randomUUID().slice(0, 8)}`;
  return {
    dedupKey: `default/latency/${incident}`,
    tenant: 'default',
    rule: 'latency',
    incidentId: incident,
    status: 'firing',
    sequence,
    severity: 'warning',
    labels: { alertname: 'latency', vigil_incident: incident },
    annotations: { summary: 'p99 latency above its band', description: '3 series since 10:02' },
    startsAt: Date.now() - 60_000,
    generatorURL: `http://127.0.0.1:8080/api/v1/incidents/${incident}`,
    createdMs: Date.now(),
    ...extra,
  };
};

const stateOf = async (d: Delivery, n: AlertNotification) =>
  (await d.queue.list({ dedupKey: n.dedupKey })).map((i) => i.state);

describe('webhook', () => {
  it('its receiver verifies the signature; a tampered body or a stale timestamp is refused', async () => {
    const rx = await receiver(verifying);
    cleanups.push(rx.close);
    const { d } = deliveryWith({
      hook: { type: 'webhook', url: rx.url, secretEnv: 'VIGIL_TEST_HOOK_SECRET' },
    });
    const n = notification();
    await d.outbox.enqueue(['hook'], n);
    await eventually(async () => (await stateOf(d, n))[0] === 'delivered');
    expect(rx.got).toHaveLength(1);
    const [r] = rx.got;
    expect(r!.headers['x-vigil-delivery']).toBe(`${n.dedupKey}#1`);
    expect(JSON.parse(r!.body)).toMatchObject({ dedupKey: n.dedupKey, sequence: 1, status: 'firing' });

    // The same request with its body changed, then signed again under an old timestamp.
    const resend = (body: string, headers: Record<string, string>) =>
      fetch(rx.url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    const headers = {
      'x-vigil-timestamp': r!.headers['x-vigil-timestamp'] as string,
      'x-vigil-signature': r!.headers['x-vigil-signature'] as string,
    };
    expect((await resend(r!.body, headers)).status).toBe(204);
    expect((await resend(r!.body.replace('"firing"', '"resolved"'), headers)).status).toBe(401);
    const old = Math.floor(Date.now() / 1000) - 600;
    const stale = {
      'x-vigil-timestamp': String(old),
      'x-vigil-signature': signWebhook(SECRET, old, r!.body),
    };
    expect((await resend(r!.body, stale)).status).toBe(401);
  });

  it('signed with the wrong key (from secretFile): refused, dead after one attempt, counted as failed', async () => {
    const rx = await receiver(verifying);
    cleanups.push(rx.close);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-secret-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'key'), 'not-the-receivers-key-at-all\n');
    const { d, registry } = deliveryWith({
      hook: { type: 'webhook', url: rx.url, secretFile: join(dir, 'key') },
    });
    const n = notification();
    await d.outbox.enqueue(['hook'], n);
    await eventually(async () => (await stateOf(d, n))[0] === 'dead');
    const [item] = await d.queue.list({ dedupKey: n.dedupKey });
    expect(await d.queue.attempts(item!.id)).toMatchObject([
      { attempt: 1, outcome: 'failed', status: 401, error: 'HTTP 401: bad signature' },
    ]);
    expect(await registry.metrics()).toMatch(/vigil_notifications_failed_total\{notifier="hook"\} 1\b/);
  });
});

describe('slack', () => {
  it('posts text and blocks to the incoming-webhook URL', async () => {
    const rx = await receiver(() => ({ status: 200, body: 'ok' }));
    cleanups.push(rx.close);
    const { d } = deliveryWith({ team: { type: 'slack', url: rx.url } });
    const n = notification(1, { severity: 'critical' });
    await d.outbox.enqueue(['team'], n);
    await eventually(async () => (await stateOf(d, n))[0] === 'delivered');
    const body = JSON.parse(rx.got[0]!.body) as { text: string; blocks: { type: string }[] };
    expect(rx.got[0]!.headers['content-type']).toBe('application/json');
    expect(body.text).toBe('[FIRING:critical] latency: p99 latency above its band');
    expect(body.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    expect(JSON.stringify(body.blocks)).toContain(`<${n.generatorURL}|${n.incidentId}>`);
  });
});

describe('retries', () => {
  it('an unreachable notifier is retried with backoff, then given up; each step counted', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/hook`;
    const { d, registry } = deliveryWith({ down: { type: 'slack', url: closed } }, { maxAttempts: 4 });
    const n = notification();
    await d.outbox.enqueue(['down'], n);
    await eventually(async () => (await stateOf(d, n))[0] === 'dead');
    const [item] = await d.queue.list({ dedupKey: n.dedupKey });
    const attempts = await d.queue.attempts(item!.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retry'],
      [2, 'retry'],
      [3, 'retry'],
      [4, 'retry'],
    ]);
    expect(attempts[0]!.error).toMatch(/ECONNREFUSED/);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/vigil_notifications_retried_total\{notifier="down"\} 3\b/);
    expect(metrics).toMatch(/vigil_notifications_failed_total\{notifier="down"\} 1\b/);
    expect(metrics).toMatch(/vigil_notifications_sent_total\{notifier="down"\} 0\b/);
    expect(metrics).toMatch(/vigil_notifications_pending\{notifier="down"\} 0\b/);
  });

  it("waits at least a 429's Retry-After before the next attempt", async () => {
    const rx = await receiver((_, i) =>
      i === 0 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 },
    );
    cleanups.push(rx.close);
    // Retry-After is capped at maxBackoffMs (100 ms in FAST): raise the cap above it.
    const { d } = deliveryWith({ team: { type: 'slack', url: rx.url } }, { maxBackoffMs: 5000 });
    const n = notification();
    await d.outbox.enqueue(['team'], n);
    const [after429] = await eventually(async () => {
      const items = await d.queue.list({ dedupKey: n.dedupKey });
      return items[0]!.attempts === 1 && items;
    });
    const [first] = await d.queue.attempts(after429!.id);
    expect(first).toMatchObject({ outcome: 'retry', status: 429 });
    // The jittered backoff alone is below 20 ms here (initialBackoffMs): the floor is the receiver's.
    expect(after429!.nextAttemptMs - first!.atMs).toBeGreaterThanOrEqual(2000);
    await eventually(async () => (await stateOf(d, n))[0] === 'delivered');
    expect(rx.got).toHaveLength(2);
  });

  it('a hung receiver holds only its own slot: enqueue returns, other notifiers deliver', async () => {
    const hung = await receiver(() => 'hang');
    const ok = await receiver(() => ({ status: 200 }));
    cleanups.push(hung.close, ok.close);
    const { d } = deliveryWith(
      {
        hung: { type: 'slack', url: hung.url, timeoutMs: 60_000 },
        ok: { type: 'slack', url: ok.url },
      },
      { concurrency: 1 },
    );
    const ns = [notification(), notification(), notification()];
    for (const n of ns) await d.outbox.enqueue(['hung', 'ok'], n);
    await eventually(async () => ok.got.length === 3);
    expect(hung.got).toHaveLength(1);
    expect(hung.maxOpen()).toBe(1);
    expect((await d.queue.list({ notifier: 'hung' })).map((i) => i.state)).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
    // Shutting down abandons the hung attempt without counting it; the item stays pending.
    await d.delivery.close();
    const items = await d.queue.list({ notifier: 'hung' });
    expect(items.map((i) => i.attempts)).toEqual([0, 0, 0]);
  });

  it('an attempt with no answer within timeoutMs is abandoned and retried', async () => {
    const rx = await receiver((_, i) => (i === 0 ? 'hang' : { status: 200 }));
    cleanups.push(rx.close);
    const { d } = deliveryWith({ slow: { type: 'slack', url: rx.url, timeoutMs: 200 } });
    const n = notification();
    await d.outbox.enqueue(['slow'], n);
    await eventually(async () => (await stateOf(d, n))[0] === 'delivered');
    const [item] = await d.queue.list({ dedupKey: n.dedupKey });
    expect(await d.queue.attempts(item!.id)).toMatchObject([
      { outcome: 'retry', error: 'no answer within 200 ms' },
      { outcome: 'sent', status: 200 },
    ]);
  });
});

describe('at least once, never twice', () => {
  it('the same notification enqueued twice reaches the receiver once', async () => {
    const rx = await receiver(verifying);
    cleanups.push(rx.close);
    const { d } = deliveryWith({ hook: { type: 'webhook', url: rx.url, secret: SECRET } });
    const n = notification();
    await Promise.all([d.outbox.enqueue(['hook'], n), d.outbox.enqueue(['hook'], n)]);
    await eventually(async () => (await stateOf(d, n)).includes('delivered'));
    await d.outbox.enqueue(['hook'], n); // a replay after delivery
    await d.delivery.close(); // waits for anything in flight
    expect(rx.got).toHaveLength(1);
    expect(await stateOf(d, n)).toEqual(['delivered']);
  });

  it('a resolution enqueued before its firing was sent replaces it: the receiver sees only the resolution', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    cleanups.push(rx.close);
    // Both are in the outbox before delivery starts (as after a restart).
    const dataDir = mkdtempSync(join(tmpdir(), 'vigil-delivery-'));
    const outbox = openSqliteOutbox({ dataDir });
    const n = notification();
    await outbox.enqueue(['team'], n);
    await outbox.enqueue(['team'], { ...n, status: 'resolved', sequence: 2, endsAt: Date.now() });
    await outbox.close();
    const { d } = deliveryWith({ team: { type: 'slack', url: rx.url } }, {}, dataDir);
    await eventually(async () => (await stateOf(d, n)).includes('delivered'));
    await d.delivery.close();
    expect(await stateOf(d, n)).toEqual(['superseded', 'delivered']);
    expect(rx.got.map((r) => JSON.parse(r.body).text as string)).toEqual([
      '[RESOLVED] latency: p99 latency above its band',
    ]);
  });

  it('restart in the middle of retrying: delivered once after reopening', async () => {
    // The retry is held 3 s off by Retry-After (a floor under the jittered backoff): with the
    // backoff alone it could fall due within milliseconds, be sent and delivered before the poll
    // below saw the first attempt, and the test waited for a state already gone.
    const rx = await receiver((_, i) =>
      i === 0 ? { status: 503, body: 'warming up', headers: { 'retry-after': '3' } } : { status: 200 },
    );
    cleanups.push(rx.close);
    const notifiers = { team: { type: 'slack', url: rx.url } };
    const slow = { initialBackoffMs: 300, maxBackoffMs: 3000 };
    const first = deliveryWith(notifiers, slow);
    const n = notification();
    await first.d.outbox.enqueue(['team'], n);
    await eventually(async () => (await first.d.queue.list({ dedupKey: n.dedupKey }))[0]!.attempts === 1);
    await first.d.close();
    expect(existsSync(join(first.dataDir, 'outbox.db'))).toBe(true);

    const second = deliveryWith(notifiers, slow, first.dataDir);
    await eventually(async () => (await stateOf(second.d, n))[0] === 'delivered');
    await second.d.delivery.close();
    expect(rx.got.map((r) => JSON.parse(r.body).text)).toEqual([
      '[FIRING:warning] latency: p99 latency above its band',
      '[FIRING:warning] latency: p99 latency above its band',
    ]);
    const [item] = await second.d.queue.list({ dedupKey: n.dedupKey });
    expect((await second.d.queue.attempts(item!.id)).map((a) => [a.outcome, a.status])).toEqual([
      ['retry', 503],
      ['sent', 200],
    ]);
    expect(await second.registry.metrics()).toMatch(/vigil_notifications_sent_total\{notifier="team"\} 1\b/);
  });
});

describe('embedded server', () => {
  it('runs delivery when alerting.notifiers is set, with its metrics; opens nothing otherwise', async () => {
    const rx = await receiver(() => ({ status: 200 }));
    cleanups.push(rx.close);
    const server = await startTestServer({
      alerting: { notifiers: { team: { type: 'slack', url: rx.url } } },
    });
    cleanups.push(() => server.dispose());
    const n = notification();
    await server.delivery!.outbox.enqueue(['team'], n);
    await eventually(async () => rx.got.length === 1);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/vigil_notifications_sent_total\{notifier="team"\} 1\b/);
    expect(metrics).toMatch(/vigil_notifications_pending\{notifier="team"\} 0\b/);
    expect(existsSync(join(server.dataDir, 'outbox.db'))).toBe(true);

    const plain = await startTestServer();
    cleanups.push(() => plain.dispose());
    expect(plain.delivery).toBeUndefined();
    expect(existsSync(join(plain.dataDir, 'outbox.db'))).toBe(false);
  });
});
