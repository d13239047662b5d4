/**
 * auth.mode keys on a real embedded server: every operation of the OpenAPI document (so a route
 * added later is walked the day it is added) answers 401 without a key, 403 with a key that has
 * every scope but the one the operation declares, and neither with a key of that scope alone.
 * Then the admin API, and `vigil keys` against the running server's data dir, with a revocation
 * seen by the server within 5 s.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../../src/core/api-key.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const run = promisify(execFile);
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ auth: { mode: 'keys', keyCacheMs: 2000 }, http: { host: '0.0.0.0' } });
});
afterAll(async () => {
  await s?.dispose();
});

interface Operation {
  method: string;
  path: string;
  scope: Scope | 'public';
}

async function operations(): Promise<Operation[]> {
  // The document itself is public: clients and people read it to learn what to send.
  const r = await fetch(`${s.url}/docs/json`);
  expect(r.status).toBe(200);
  const doc = (await r.json()) as { paths: Record<string, Record<string, { 'x-vigil-scope'?: string }>> };
  const out: Operation[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      expect(op['x-vigil-scope'], `${method} ${path}`).toBeDefined();
      out.push({
        method: method.toUpperCase(),
        path: path.replace('{id}', '0123456789abcdef'),
        scope: op['x-vigil-scope'] as Scope | 'public',
      });
    }
  }
  return out;
}

const call = (op: Operation, key?: string) =>
  s.app.inject({
    method: op.method as 'GET',
    url: op.path,
    headers: key === undefined ? {} : { authorization: `Bearer ${key}` },
  });

describe('auth.mode keys, every route', () => {
  it('starts on a non-loopback address with keys', () => {
    expect(s.url).toMatch(/^http:\/\//);
  });

  it('walks every operation of the OpenAPI document: 401 without a key, 403 without the scope, else through', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThanOrEqual(15);
    expect(ops.filter((o) => o.scope === 'public').map((o) => o.path)).toEqual([
      '/ping',
      '/healthz',
      '/readyz',
    ]);
    const only = new Map<Scope, string>();
    const allBut = new Map<Scope, string>();
    for (const scope of SCOPES) {
      only.set(scope, (await s.keys.create({ scopes: [scope] })).key);
      allBut.set(scope, (await s.keys.create({ scopes: SCOPES.filter((x) => x !== scope) })).key);
    }
    for (const op of ops) {
      const what = `${op.method} ${op.path} (${op.scope})`;
      if (op.scope === 'public') {
        expect((await call(op)).statusCode, what).toBeLessThan(400);
        continue;
      }
      const none = await call(op);
      expect(none.statusCode, what).toBe(401);
      expect(none.headers['www-authenticate'], what).toBe('Bearer realm="vigil"');
      const lacking = await call(op, allBut.get(op.scope));
      expect(lacking.statusCode, what).toBe(403);
      expect(lacking.json().error, what).toContain(`"${op.scope}"`);
      const right = await call(op, only.get(op.scope));
      expect([401, 403], `${what}: ${right.body}`).not.toContain(right.statusCode);
    }
  });

  it('the admin API creates a key shown once, lists without secrets, revokes', async () => {
    const admin = (await s.keys.create({ tenant: 'team-b', scopes: ['admin'] })).key;
    const h = { authorization: `Bearer ${admin}` };
    // An admin key manages its own tenant's keys only.
    const elsewhere = await fetch(`${s.url}/api/v1/keys`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'team-x', scopes: ['read'] }),
    });
    expect(elsewhere.status).toBe(403);
    const created = await fetch(`${s.url}/api/v1/keys`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'team-b', scopes: ['ingest'], name: 'telegraf', expires: '30d' }),
    });
    expect(created.status).toBe(201);
    const { key, info } = (await created.json()) as { key: string; info: { id: string; expiresMs: number } };
    expect(key).toMatch(/^vgl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(info.expiresMs).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const write = (k: string) =>
      fetch(`${s.url}/write?db=x&u=telegraf&p=${k}`, { method: 'POST', body: 'm v=1 1000000000' });
    expect((await write(key)).status).toBe(204);
    const listed = await (await fetch(`${s.url}/api/v1/keys`, { headers: h })).text();
    expect(listed).toContain(info.id);
    expect(listed).not.toContain(key.slice(21));
    expect(listed).not.toContain('hash');
    expect((await fetch(`${s.url}/api/v1/keys/${info.id}`, { method: 'DELETE', headers: h })).status).toBe(
      204,
    );
    expect((await write(key)).status).toBe(401);
    const missing = await fetch(`${s.url}/api/v1/keys/ffffffffffffffff`, { method: 'DELETE', headers: h });
    expect(missing.status).toBe(404);
    const badScope = await fetch(`${s.url}/api/v1/keys`, {
      method: 'POST',
      headers: { ...h, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['root'] }),
    });
    expect(badScope.status).toBe(400);
  });

  it('vigil keys create / list / revoke work on the running server’s data dir; a revocation is seen within 5 s', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, ['bin/vigil.mjs', 'keys', ...args, '--data-dir', s.dataDir], {
        env: { ...process.env, VIGIL_AUTH_MODE: '' },
      });
    const created = await cli('create', '--tenant', 'team-c', '--scopes', 'read', '--name', 'grafana');
    const key = created.stdout.trim();
    expect(key).toMatch(/^vgl_/);
    expect(created.stderr).toContain('shown only this once');
    const get = () => fetch(`${s.url}/api/v1/detectors`, { headers: { authorization: `Bearer ${key}` } });
    expect((await get()).status).toBe(200);
    const id = key.slice(4, 20);
    expect((await cli('list')).stdout).toMatch(new RegExp(`^${id}\\tteam-c\\tread\\t.*\\tgrafana$`, 'm'));
    // From the moment the revocation is committed (the CLI's own start-up is not the server's doing).
    await cli('revoke', id);
    const t0 = Date.now();
    await eventually(async () => (await get()).status === 401, 5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(cli('create', '--scopes', 'root')).rejects.toThrow('unknown scope');
  });
});
