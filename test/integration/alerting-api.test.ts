/**
 * Alert rules, silences and incidents through a real embedded server: rule and silence CRUD with
 * its 400/404/409 answers, then two spiking series (one depending on the other) grouped by the
 * alerter into one incident whose top root cause is the dependency; its notifications land in the
 * real notification outbox (outbox.db) and reach a real webhook receiver (a second notifier whose
 * receiver is down keeps them pending); the incident survives a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import type { Incident } from '../../src/core/alerting/incident.ts';
import { eventually } from '../helpers/embedded.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'vigil-alerting-'));
let config: Config;
let s: EmbeddedServer;
/** Bodies a loopback webhook receiver got. */
const received: string[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push(Buffer.concat(chunks).toString('utf8'));
    res.writeHead(204).end();
  });
});
const T0 = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  // Nothing listens there: every delivery attempt fails and is retried later.
  const down = `http://127.0.0.1:${await freePort()}/hook`;
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const up = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  config = validateConfig({
    dataDir,
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    engine: { checkpointIntervalMs: 50 },
    alerting: {
      tickMs: 100,
      rules: [{ name: 'from-config', match: 'nothing_matches_this' }],
      notifiers: {
        pager: { type: 'webhook', url: down, secret: 'a-secret-of-16-chars' },
        hook: { type: 'webhook', url: up, secret: 'a-secret-of-16-chars' },
      },
    },
  });
  s = await startEmbedded(config);
});
afterAll(async () => {
  await s?.close();
  receiver.closeAllConnections();
  await new Promise<void>((r) => receiver.close(() => r()));
  rmSync(dataDir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown) => {
  const r = await fetch(`${s.url}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await r.text();
  return { status: r.status, body: text === '' ? undefined : JSON.parse(text) };
};

describe('alert rules API', () => {
  it('creates, lists, replaces and deletes; config rules are listed and read-only', async () => {
    const created = await call('POST', '/api/v1/alert-rules', { name: 'x', match: 'cpu', minScore: 0.5 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'x', source: 'api', severity: 'warning', minScore: 0.5 });
    expect((await call('POST', '/api/v1/alert-rules', { name: 'x', match: 'cpu' })).status).toBe(409);
    const list = await call('GET', '/api/v1/alert-rules');
    expect(list.body.rules.map((r: { name: string; source: string }) => [r.name, r.source])).toEqual([
      ['from-config', 'config'],
      ['x', 'api'],
    ]);
    const replaced = await call('PUT', '/api/v1/alert-rules/x', { match: 'cpu', severity: 'critical' });
    expect([replaced.status, replaced.body.severity, replaced.body.minScore]).toEqual([200, 'critical', 0]);
    expect((await call('GET', '/api/v1/alert-rules/x')).body.severity).toBe('critical');
    expect((await call('PUT', '/api/v1/alert-rules/from-config', { match: 'cpu' })).status).toBe(409);
    expect((await call('DELETE', '/api/v1/alert-rules/from-config')).status).toBe(409);
    expect((await call('DELETE', '/api/v1/alert-rules/x')).status).toBe(204);
    expect((await call('GET', '/api/v1/alert-rules/x')).status).toBe(404);
    expect((await call('DELETE', '/api/v1/alert-rules/x')).status).toBe(404);
  });

  it('answers a malformed rule with a 400 naming the field', async () => {
    const bad = async (body: unknown, path = '/api/v1/alert-rules', method = 'POST') => {
      const r = await call(method, path, body);
      expect(r.status).toBe(400);
      return r.body.field;
    };
    expect(await bad({ name: 'y', match: 'cpu{' })).toBe('match');
    expect(await bad({ name: 'y', match: 'cpu', annotations: { summary: '{{nope}}' } })).toBe(
      'annotations.summary',
    );
    expect(await bad({ name: 'y', match: 'cpu', minScore: 2 })).toBe('minScore');
    expect(await bad({ name: 'y' })).toBe('match');
    expect(await bad({ name: 'bad name', match: 'cpu' })).toBe('name');
    expect(await bad({ name: 'other', match: 'cpu' }, '/api/v1/alert-rules/y', 'PUT')).toBe('name');
    expect(await bad({ name: 'y', match: 'cpu', notifiers: ['pager', 'nobody'] })).toBe('notifiers.1');
  });
});

describe('silences API', () => {
  it('creates, lists and deletes; a malformed one is a 400 naming the field', async () => {
    const now = Date.now();
    const c = await call('POST', '/api/v1/silences', {
      match: '{service="db"}',
      startsAt: now,
      endsAt: now + 3_600_000,
      kind: 'maintenance',
      recurrence: { days: [1], start: '02:00', durationMs: 3_600_000 },
      comment: 'db upgrade',
    });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ kind: 'maintenance', createdBy: 'anonymous', tenant: 'default' });
    expect((await call('GET', '/api/v1/silences')).body.silences.map((x: { id: string }) => x.id)).toEqual([
      c.body.id,
    ]);
    const bad = await call('POST', '/api/v1/silences', { match: 'x', startsAt: now, endsAt: now - 1 });
    expect([bad.status, bad.body.field]).toEqual([400, 'endsAt']);
    expect((await call('POST', '/api/v1/silences', { match: '{', startsAt: 0, endsAt: 1 })).body.field).toBe(
      'match',
    );
    expect((await call('DELETE', `/api/v1/silences/${c.body.id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/silences/${c.body.id}`)).status).toBe(404);
    expect((await call('GET', '/api/v1/silences')).body.silences).toEqual([]);
  });
});

describe('incidents', () => {
  it('groups two related spikes into one incident, ranks the dependency first, notifies and resolves', async () => {
    expect(
      (
        await call('POST', '/api/v1/alert-rules', {
          name: 'latency',
          match: 'lat',
          resolveTimeoutMs: 0,
          groupGapMs: 60_000,
          notifiers: ['pager', 'hook'],
          annotations: { summary: 'latency: {{root_cause}}' },
        })
      ).status,
    ).toBe(201);
    const wave = (spikeAt: number) =>
      Array.from({ length: 200 }, (_, i) => (i === spikeAt ? 500 : 10 + Math.sin(i / 5) + (i % 7) * 0.05));
    const series = [
      { tags: { service: 'api', depends_on: 'db' }, values: wave(152) },
      { tags: { service: 'db' }, values: wave(150) },
    ];
    const points = series.flatMap(({ tags, values }) =>
      values.map((value, i) => ({ metric: 'lat', tags, ts: T0 + i * 1000, value })),
    );
    expect((await call('POST', '/api/v1/points', { points })).status).toBe(204);
    // The detector's first points (warm-up) are flagged too, 150 s before the spikes: another incident.
    const inc = await eventually(async () => {
      const r = await call('GET', '/api/v1/incidents?status=resolved');
      return (r.body.incidents as Incident[]).find((i) => i.members.some((m) => m.peakValue === 500));
    });
    expect(inc.rule).toBe('latency');
    expect([...new Set(inc.members.map((m) => m.seriesKey))].sort()).toEqual([
      'lat{depends_on="db",service="api"}',
      'lat{service="db"}',
    ]);
    expect(inc.rootCauses[0]!.seriesKey).toBe('lat{service="db"}');
    expect(inc.rootCauses[0]!.reasons.join(';')).toMatch(/depend on it/);
    expect(inc.timeline[0]!.kind).toBe('opened');
    expect(inc.timeline.at(-1)!.kind).toBe('resolved');
    expect((await call('GET', `/api/v1/incidents/${inc.id}`)).body.id).toBe(inc.id);
    expect((await call('GET', '/api/v1/incidents/nope')).status).toBe(404);
    expect((await call('GET', '/api/v1/incidents?status=open')).body.incidents).toEqual([]);
    expect((await call('GET', '/api/v1/incidents?status=bogus')).body.field).toBe('status');
    expect((await call('GET', '/api/v1/incidents?limit=0')).body.field).toBe('limit');

    await s.alerter.settled();
    const queued = await s.delivery!.queue.list({ dedupKey: `default/latency/${inc.id}`, notifier: 'pager' });
    const mine = queued.map((x) => x.notification).sort((a, b) => a.sequence - b.sequence);
    expect(queued.some((x) => x.state === 'delivered')).toBe(false);
    expect(mine[0]).toMatchObject({ status: 'firing', sequence: 1, rule: 'latency', incidentId: inc.id });
    const last = mine.at(-1)!;
    expect(last.status).toBe('resolved');
    expect(last.endsAt).toBeGreaterThan(0);
    expect(last.annotations.summary).toBe('latency: lat{service="db"}');
    expect(last.labels).toMatchObject({ alertname: 'latency', vigil_incident: inc.id });
    expect(mine.map((n) => n.sequence)).toEqual(mine.map((_, i) => i + 1));

    // The reachable receiver got the firing and the resolution of this incident.
    await eventually(async () => received.some((b) => b.includes(inc.id) && b.includes('"resolved"')));
    expect(received.some((b) => b.includes(inc.id) && b.includes('"firing"'))).toBe(true);

    // A restart keeps rules and incidents.
    await s.close();
    s = await startEmbedded(config);
    expect((await call('GET', `/api/v1/incidents/${inc.id}`)).body.status).toBe('resolved');
    expect((await call('GET', '/api/v1/alert-rules/latency')).status).toBe(200);

    // One answer for the whole outage: every member anomaly gets the label, each series learns it.
    const answered = await call('POST', `/api/v1/incidents/${inc.id}/feedback`, {
      label: 'not_anomaly',
      note: 'planned failover',
    });
    expect(answered.status).toBe(201);
    const labels = answered.body.feedback as { anomaly: string; series: string; label: string }[];
    expect(labels.map((l) => l.anomaly).sort()).toEqual(inc.members.map((m) => m.id).sort());
    expect(new Set(labels.map((l) => l.label))).toEqual(new Set(['not_anomaly']));
    const listed = (await call('GET', '/api/v1/feedback?match=lat')).body.feedback as { anomaly: string }[];
    expect(listed.map((l) => l.anomaly).sort()).toEqual(inc.members.map((m) => m.id).sort());
    expect((await call('POST', '/api/v1/incidents/nope/feedback', { label: 'anomaly' })).status).toBe(404);
    expect((await call('POST', `/api/v1/incidents/${inc.id}/feedback`, { label: 'maybe' })).body.field).toBe(
      'body.label',
    );
  });
});
