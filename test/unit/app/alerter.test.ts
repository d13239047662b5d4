/**
 * The embedded alerter with a recording outbox and a real SQLite alerting store: anomaly changes
 * become incidents and notifications, tenants come from the series' tenant tag, a restart resumes
 * from the saved state without paging twice, and `reload` applies a rule change at once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteAlerting } from '../../../src/adapters/sqlite/index.ts';
import { Alerter } from '../../../src/app/alerter.ts';
import type { AlertNotification } from '../../../src/core/alerting/notification.ts';
import { type AlertRule, parseAlertRule } from '../../../src/core/alerting/rule.ts';
import type { Anomaly } from '../../../src/core/anomaly.ts';
import { seriesKey, TENANT_TAG } from '../../../src/core/series.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEYS = new Map<number, string>([
  [1, seriesKey('lat', { service: 'db' })],
  [2, seriesKey('lat', { service: 'api', depends_on: 'db' })],
  [3, seriesKey('lat', { service: 'db', [TENANT_TAG]: 'team-b' })],
]);

const anomaly = (seriesId: number, start: number, end: number, open: boolean): Anomaly => ({
  seriesId,
  start,
  end,
  open,
  peakScore: 0.999,
  peakValue: 300,
  peakExpected: 100,
  direction: 'up',
  points: 1 + (end - start) / 1000,
  detector: 'ewma',
});

function harness(dir: string, rules: () => AlertRule[]) {
  const sent: { notifiers: readonly string[]; n: AlertNotification }[] = [];
  const store = openSqliteAlerting({ dataDir: dir });
  let now = 1_000_000;
  const start = () =>
    Alerter.start({
      store,
      outbox: { enqueue: async (notifiers, n) => void sent.push({ notifiers, n }) },
      rulesOf: async () => rules(),
      seriesKeyOf: async (id) => KEYS.get(id),
      now: () => now,
      tickMs: 3_600_000,
      onError: (err) => {
        throw err;
      },
    });
  return { sent, store, start, advance: (ms: number) => (now += ms) };
}

const RULE = parseAlertRule({ name: 'lat', match: 'lat', notifiers: ['pager'], resolveTimeoutMs: 0 });

describe('embedded alerter', () => {
  it('groups anomaly changes per tenant, notifies through the outbox and stores incidents', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
    dirs.push(dir);
    const h = harness(dir, () => [RULE]);
    const a = await h.start();
    a.anomalies([anomaly(1, 0, 0, true), anomaly(2, 1000, 1000, true), anomaly(3, 0, 0, true)]);
    await a.settled();
    expect(h.sent.map((x) => [x.n.tenant, x.n.status, x.notifiers.join()])).toEqual([
      ['default', 'firing', 'pager'],
      ['team-b', 'firing', 'pager'],
    ]);
    const [inc] = await h.store.listIncidents('default', { limit: 10 });
    expect(inc!.members.map((m) => m.seriesKey)).toEqual([
      'lat{service="db"}',
      'lat{depends_on="db",service="api"}',
    ]);
    expect((await h.store.listIncidents('team-b', { limit: 10 }))[0]!.members[0]!.seriesKey).toBe(
      'lat{service="db"}',
    );
    await a.close();
    await h.store.close();
  });

  it('resumes from its saved state: a replayed form pages nobody again, the resolution goes out once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
    dirs.push(dir);
    const h = harness(dir, () => [RULE]);
    const first = await h.start();
    first.anomalies([anomaly(1, 0, 0, true)]);
    await first.close();
    const second = await h.start();
    // The engine replays what it made since its checkpoint: the same form, then the close.
    second.anomalies([anomaly(1, 0, 0, true), anomaly(1, 0, 2000, false)]);
    await second.settled();
    expect(h.sent.map((x) => x.n.status)).toEqual(['firing']);
    h.advance(1);
    await second.tick();
    await second.close();
    const third = await h.start();
    third.anomalies([anomaly(1, 0, 2000, false)]);
    h.advance(1);
    await third.tick();
    await third.close();
    expect(h.sent.map((x) => [x.n.status, x.n.sequence])).toEqual([
      ['firing', 1],
      ['resolved', 2],
    ]);
    const [inc] = await h.store.listIncidents('default', { limit: 10 });
    expect(inc!.status).toBe('resolved');
    await h.store.close();
  });

  it('a crash after enqueueing, before its state save, never reuses a delivered sequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
    dirs.push(dir);
    const real = openSqliteAlerting({ dataDir: dir });
    let crashed = false;
    // The process "dies" right after the outbox took the tick's notifications: no save after it.
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        if (prop === 'saveAlerterState' && crashed) return async () => {};
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    // Like the real outbox, a repeated (dedupKey, sequence) is a no-op: `sent` is what a receiver gets.
    const sent: AlertNotification[] = [];
    const byId = new Map<string, AlertNotification>();
    let now = 1_000_000;
    const start = () =>
      Alerter.start({
        store,
        outbox: {
          enqueue: async (_names, n) => {
            const id = `${n.dedupKey}#${n.sequence}`;
            const before = byId.get(id);
            if (before !== undefined) {
              expect(before.status, `${id} reused for other content`).toBe(n.status);
              return;
            }
            byId.set(id, n);
            sent.push(n);
            if (n.status === 'resolved') crashed = true;
          },
        },
        rulesOf: async () => [RULE],
        seriesKeyOf: async (id) => KEYS.get(id),
        now: () => now,
        tickMs: 3_600_000,
        onError: () => {},
      });
    const first = await start();
    first.anomalies([anomaly(1, 0, 0, true)]);
    await first.close();
    const second = await start();
    second.anomalies([anomaly(1, 0, 2000, false)]);
    now += 1;
    await second.tick(); // resolves: enqueued (delivered), then the crash
    await second.close();
    crashed = false;
    const third = await start();
    // The replay, then a dependant goes anomalous: the incident was resolved, so this is a new
    // one, paged with its own key (restarted from the state before the resolution, it would join
    // the old incident, whose next notification reuses the delivered sequence and is dropped).
    third.anomalies([anomaly(1, 0, 2000, false), anomaly(2, 2500, 2500, true)]);
    await third.settled();
    await third.close();
    expect(sent.map((n) => n.status)).toEqual(['firing', 'resolved', 'firing']);
    expect(new Set(sent.map((n) => n.dedupKey)).size).toBe(2);
    await real.close();
  });

  it('applies a rule change on reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
    dirs.push(dir);
    let rules: AlertRule[] = [];
    const h = harness(dir, () => rules);
    const a = await h.start();
    a.anomalies([anomaly(1, 0, 0, true)]);
    await a.settled();
    expect(h.sent).toEqual([]);
    rules = [RULE];
    await a.reload('default');
    a.anomalies([anomaly(2, 1000, 1000, true)]);
    await a.settled();
    expect(h.sent.map((x) => x.n.status)).toEqual(['firing']);
    await a.close();
    await h.store.close();
  });
});

describe('alerter fed by a consumer (scaled out)', () => {
  it('checkpoint rejects after a failed enqueue and saves nothing more; a replay from the saved state pages', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-alerter-'));
    dirs.push(dir);
    const store = openSqliteAlerting({ dataDir: dir });
    const sent: AlertNotification[] = [];
    let failing = true;
    const start = () =>
      Alerter.start({
        store,
        outbox: {
          enqueue: async (_names, n) => {
            if (failing) throw new Error('outbox down');
            sent.push(n);
          },
        },
        rulesOf: async () => [RULE],
        seriesKeyOf: async (id) => KEYS.get(id),
        now: () => 1_000_000,
        tickMs: 3_600_000,
        stopOnFailure: true,
        onError: () => {},
      });
    const a = await start();
    a.anomalies([anomaly(1, 0, 0, true)]);
    await expect(a.checkpoint()).rejects.toThrow('outbox down');
    await a.tick();
    await a.close();
    // Saved ahead of the failed enqueue, the notification is still pending: a restart sends it.
    const saved = JSON.parse((await store.loadAlerterState())!) as {
      pending: { notification: AlertNotification }[];
    };
    expect(saved.pending.map((p) => p.notification.status)).toEqual(['firing']);
    failing = false;
    const b = await start();
    b.anomalies([anomaly(1, 0, 0, true)]); // the consumer replays from its committed offset
    await b.checkpoint();
    expect(sent.map((n) => n.status)).toEqual(['firing']);
    expect(await store.loadAlerterState()).toBeDefined();
    await b.close();
    await store.close();
  });
});
