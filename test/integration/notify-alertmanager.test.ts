/**
 * Delivery to a real Prometheus Alertmanager (scripts/services/alertmanager.sh): a firing
 * notification appears in its `GET /api/v2/alerts` with our labels, annotations and start; its
 * resolution (same labels, `endsAt` in the past) makes Alertmanager drop it from the active alerts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Delivery, startDelivery } from '../../src/app/delivery-wiring.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { AlertNotification } from '../../src/core/alerting/notification.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  status: { state: string };
}

let amUrl = '';
let dataDir = '';
let delivery: Delivery;
const registry = new Registry();

beforeAll(() => {
  amUrl = service('alertmanager').VIGIL_ALERTMANAGER_URL!;
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-am-'));
  const config = validateConfig({
    dataDir,
    alerting: {
      notifiers: { am: { type: 'alertmanager', url: `${amUrl}/` } },
      delivery: { pollIntervalMs: 50, initialBackoffMs: 50 },
    },
  });
  delivery = startDelivery(config, { registry })!;
});

afterAll(async () => {
  await delivery?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function alertsOf(incident: string): Promise<AmAlert[]> {
  const filter = encodeURIComponent(`vigil_incident="${incident}"`);
  const res = await fetch(`${amUrl}/api/v2/alerts?filter=${filter}`);
  expect(res.status).toBe(200);
  return (await res.json()) as AmAlert[];
}

describe('Alertmanager notifier', () => {
  it('a firing notification becomes an active alert; its resolution resolves it', async () => {
    const incident = `inc-${randomUUID().slice(0, 8)}`;
    const startsAt = Date.now() - 120_000;
    const firing: AlertNotification = {
      dedupKey: `default/disk-full/${incident}`,
      tenant: 'default',
      rule: 'disk-full',
      incidentId: incident,
      status: 'firing',
      sequence: 1,
      severity: 'critical',
      labels: { alertname: 'disk-full', vigil_incident: incident, service: 'db' },
      annotations: { summary: 'disk usage rising on db', root_cause: 'disk_used{host="db-1"}' },
      startsAt,
      generatorURL: `http://127.0.0.1:8080/api/v1/incidents/${incident}`,
      createdMs: Date.now(),
    };
    await delivery.outbox.enqueue(['am'], firing);

    const [active] = await eventually(async () => {
      const a = await alertsOf(incident);
      return a.length > 0 && a;
    }, 30_000);
    expect(active!.labels).toEqual(firing.labels);
    expect(active!.annotations).toEqual({ severity: 'critical', ...firing.annotations });
    expect(Date.parse(active!.startsAt)).toBe(startsAt);
    expect(active!.generatorURL).toBe(firing.generatorURL);
    expect(active!.status.state).toBe('active');
    expect(Date.parse(active!.endsAt)).toBeGreaterThan(Date.now());

    const endsAt = Date.now() - 1000;
    await delivery.outbox.enqueue(['am'], { ...firing, status: 'resolved', sequence: 2, endsAt });
    // Alertmanager's v2 API lists only alerts whose endsAt is still ahead: a resolved one is gone.
    await eventually(async () => (await alertsOf(incident)).length === 0, 30_000);

    // Alertmanager drops the alert as soon as it takes the resolution, which can be before the
    // outbox has recorded that delivery: wait for the record, then check both.
    const items = await eventually(async () => {
      const list = await delivery.queue.list({ dedupKey: firing.dedupKey });
      return list.every((i) => i.state !== 'pending') && list;
    }, 30_000);
    expect(items.map((i) => [i.notification.sequence, i.state])).toEqual([
      [1, 'delivered'],
      [2, 'delivered'],
    ]);
    expect(await registry.metrics()).toMatch(/vigil_notifications_sent_total\{notifier="am"\} 2\b/);
  });

  it('a notification Alertmanager refuses (an invalid label name) is dead after one attempt', async () => {
    const incident = `inc-${randomUUID().slice(0, 8)}`;
    await delivery.outbox.enqueue(['am'], {
      dedupKey: `default/bad/${incident}`,
      tenant: 'default',
      rule: 'bad',
      incidentId: incident,
      status: 'firing',
      sequence: 1,
      severity: 'info',
      labels: { alertname: 'bad', vigil_incident: incident, 'not-a-label-name': 'x' },
      annotations: {},
      startsAt: Date.now(),
      generatorURL: 'http://127.0.0.1/x',
      createdMs: Date.now(),
    });
    const [dead] = await eventually(async () => {
      const d = await delivery.queue.list({ dedupKey: `default/bad/${incident}`, state: 'dead' });
      return d.length > 0 && d;
    }, 30_000);
    const attempts = await delivery.queue.attempts(dead!.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ outcome: 'failed', status: 400 });
    expect(await registry.metrics()).toMatch(/vigil_notifications_failed_total\{notifier="am"\} 1\b/);
  });
});
