/**
 * The audit log on a real embedded server with auth.mode keys: each successful change through a
 * configure or admin route is recorded with the key that made it, the route, its target and the
 * body (secrets redacted), and nothing else is (reads, refused or failed changes); an admin reads
 * only its own tenant's events; `vigil keys` on the host records its changes as `cli:<user>`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const run = promisify(execFile);
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ auth: { mode: 'keys' }, http: { host: '0.0.0.0' } });
});
afterAll(async () => {
  await s?.dispose();
});

const SERIES = encodeURIComponent('cpu{host="a"}');
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Event {
  id: number;
  ts: number;
  actor: string;
  action: string;
  target: string;
  detail: string;
  status: number;
  remote: string;
}

async function audit(key: string, query = ''): Promise<Event[]> {
  const r = await s.app.inject({ url: `/api/v1/audit${query}`, headers: bearer(key) });
  expect(r.statusCode, r.body).toBe(200);
  return (r.json() as { events: Event[] }).events;
}

describe('audit log', () => {
  it('records who changed a series config, and not reads or refused changes', async () => {
    const admin = await s.keys.create({ tenant: 'team-a', scopes: ['admin'] });
    const writer = await s.keys.create({ tenant: 'team-a', scopes: ['ingest', 'read', 'configure'] });
    const ingest = await s.app.inject({
      method: 'POST',
      url: '/api/v1/points',
      headers: bearer(writer.key),
      payload: { points: [{ metric: 'cpu', tags: { host: 'a' }, ts: 1_700_000_000_000, value: 1 }] },
    });
    expect(ingest.statusCode, ingest.body).toBe(204);
    const before = Date.now();
    const put = await s.app.inject({
      method: 'PUT',
      url: `/api/v1/series/config?series=${SERIES}`,
      headers: bearer(writer.key),
      payload: { threshold: 0.9 },
    });
    expect(put.statusCode, put.body).toBe(200);
    // Refused (400) and read-only requests change nothing and leave no event.
    const bad = await s.app.inject({
      method: 'PUT',
      url: `/api/v1/series/config?series=${SERIES}`,
      headers: bearer(writer.key),
      payload: { threshold: 7 },
    });
    expect(bad.statusCode).toBe(400);
    await s.app.inject({ url: `/api/v1/series/config?series=${SERIES}`, headers: bearer(writer.key) });

    const events = await audit(admin.key);
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e).toMatchObject({
      actor: `key:${writer.info.id}`,
      action: 'PUT /api/v1/series/config',
      status: 200,
    });
    expect(JSON.parse(e.target)).toEqual({ query: { series: 'cpu{host="a"}' } });
    expect(JSON.parse(e.detail)).toEqual({ threshold: 0.9 });
    expect(e.ts).toBeGreaterThanOrEqual(before);
    expect(e.remote).toBe('127.0.0.1');
  });

  it('records key changes through the admin API without the secret, filtered by action', async () => {
    const admin = await s.keys.create({ tenant: 'team-k', scopes: ['admin'] });
    const created = await s.app.inject({
      method: 'POST',
      url: '/api/v1/keys',
      headers: bearer(admin.key),
      payload: { scopes: ['read'], name: 'grafana' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { key, info } = created.json() as { key: string; info: { id: string } };
    const revoked = await s.app.inject({
      method: 'DELETE',
      url: `/api/v1/keys/${info.id}`,
      headers: bearer(admin.key),
    });
    expect(revoked.statusCode).toBe(204);

    const events = await audit(admin.key, '?action=' + encodeURIComponent('DELETE /api/v1/keys'));
    expect(events.map((e) => [e.actor, e.action, JSON.parse(e.target)])).toEqual([
      [`key:${admin.info.id}`, 'DELETE /api/v1/keys/:id', { params: { id: info.id } }],
    ]);
    const all = await audit(admin.key);
    expect(all.map((e) => e.action)).toEqual(['DELETE /api/v1/keys/:id', 'POST /api/v1/keys']);
    expect(JSON.parse(all[1]!.detail)).toEqual({ scopes: ['read'], name: 'grafana' });
    expect(JSON.stringify(all)).not.toContain(key.split('_')[2]!);
  });

  it("an admin reads only its own tenant's events; the route needs the admin scope", async () => {
    const other = await s.keys.create({ tenant: 'team-z', scopes: ['admin', 'read', 'configure'] });
    expect(await audit(other.key)).toEqual([]);
    const reader = await s.keys.create({ tenant: 'team-a', scopes: ['read', 'configure'] });
    const r = await s.app.inject({ url: '/api/v1/audit', headers: bearer(reader.key) });
    expect(r.statusCode).toBe(403);
    const bad = await s.app.inject({ url: '/api/v1/audit?from=yesterday', headers: bearer(other.key) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'from' });
  });

  it('vigil keys create / revoke on the host are recorded as cli:<user> in the key’s tenant', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/vigil.mjs', 'keys', ...args, '--data-dir', s.dataDir], {
        env: { ...process.env, VIGIL_LOG_LEVEL: 'silent' },
      });
    const made = (await cli('create', '--tenant', 'team-c', '--scopes', 'read')).stdout.trim();
    const id = made.split('_')[1]!;
    await cli('revoke', id);
    const admin = await s.keys.create({ tenant: 'team-c', scopes: ['admin'] });
    const events = await eventually(async () => {
      const e = await audit(admin.key, '?action=keys.');
      return e.length === 2 ? e : undefined;
    });
    expect(events.map((e) => [e.actor.startsWith('cli:'), e.action, JSON.parse(e.target)])).toEqual([
      [true, 'keys.revoke', { id }],
      [true, 'keys.create', { id }],
    ]);
    expect(events[1]!.detail).not.toContain(made.split('_')[2]!);
  });
});
