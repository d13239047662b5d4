/**
 * auth.mode keys scaled out: two API replicas (the real HTTP server, auth hook and admin API, on
 * the PostgreSQL key store and the Redis Cluster failure count) behind nginx from
 * scripts/services/nginx.sh. A key revoked through one replica is refused by both, directly and
 * through the balancer, within 5 s; failed attempts counted on one replica hold the address back
 * on the other. The replicas carry no ingest or query routes (those need Kafka and InfluxDB, and
 * nothing about keys differs there); cluster-same-answer.test.ts runs full `vigil api` processes.
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpServer } from '../../src/adapters/http/server.ts';
import { migrate, PgApiKeyStore, PgPools } from '../../src/adapters/postgres/index.ts';
import { openRedisCache } from '../../src/adapters/redis/index.ts';
import { authWiring } from '../../src/app/auth-wiring.ts';
import { httpLimitsOf } from '../../src/app/tenant-limits.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Cache } from '../../src/ports/cache.ts';
import { eventually } from '../helpers/embedded.ts';
import { service, serviceAction } from '../support/services.ts';

const run = `t_${randomBytes(4).toString('hex')}`;
const exec = promisify(execFile);
const cliDir = mkdtempSync(join(tmpdir(), 'vigil-keys-cli-'));
const config = validateConfig({
  logLevel: 'silent',
  auth: { mode: 'keys', keyCacheMs: 2000, maxFailures: 20, failureWindowSeconds: 60 },
});

interface Replica {
  app: FastifyInstance;
  url: string;
  pools: PgPools;
  cache: Cache;
}

let pgUrl = '';
let replicas: Replica[] = [];
let lb = '';

async function startReplica(nodes: string[]): Promise<Replica> {
  const pools = new PgPools({ url: pgUrl, schema: run, poolSize: 2 });
  await migrate(pools);
  const cache = await openRedisCache({ nodes, keyPrefix: `${run}:` });
  const logger = pino({ level: 'silent' });
  const { auth, keys } = await authWiring(config, new PgApiKeyStore(pools), cache, logger);
  const app = await buildHttpServer({
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    limits: httpLimitsOf(config, () => {}),
    health: { ready: () => true, metrics: async () => ({ contentType: 'text/plain', body: 'up 1\n' }) },
    auth,
    keys,
    retryAfterSeconds: () => 1,
    observeRequest: () => {},
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url, pools, cache };
}

beforeAll(async () => {
  pgUrl = service('postgres').VIGIL_PG_URL!;
  const nodes = service('redis').VIGIL_REDIS_NODES!.split(',');
  replicas = [await startReplica(nodes), await startReplica(nodes)];
  lb = service('nginx', {
    VIGIL_NGINX_UPSTREAMS: replicas.map((r) => r.url.replace('http://', '')).join(','),
  }).VIGIL_NGINX_URL!;
});

afterAll(async () => {
  rmSync(cliDir, { recursive: true, force: true });
  try {
    serviceAction('nginx', ['down']);
  } finally {
    for (const r of replicas) {
      await r.app.close();
      await r.cache.close();
      await r.pools.close();
    }
    if (pgUrl !== '') {
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${run} CASCADE`);
      await client.end();
    }
  }
});

const metrics = (base: string, key: string) =>
  fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);

describe('API keys across replicas behind nginx', () => {
  it('a key revoked through one replica is refused by every replica within 5 s', async () => {
    const [a, b] = replicas as [Replica, Replica];
    // The first admin key comes from `vigil keys create --store postgres`, into the shared table.
    const cfg = join(cliDir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ postgres: { url: pgUrl, schema: run } }));
    const cli = (...args: string[]) =>
      exec(process.execPath, ['bin/vigil.mjs', 'keys', ...args, '--store', 'postgres', '--config', cfg]);
    const admin = (await cli('create', '--scopes', 'admin', '--name', 'ops')).stdout.trim();
    expect(admin).toMatch(/^vgl_/);
    expect((await cli('list')).stdout).toContain(`${admin.slice(4, 20)}\tdefault\tadmin\t`);
    const created = await fetch(`${lb}/api/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scopes: ['read'], name: 'prometheus' }),
    });
    expect(created.status).toBe(201);
    const { key, info } = (await created.json()) as { key: string; info: { id: string } };
    // Both replicas verify it (and now trust it for keyCacheMs); so does the balancer's path.
    expect(await metrics(a.url, key)).toBe(200);
    expect(await metrics(b.url, key)).toBe(200);
    for (let i = 0; i < 4; i++) expect(await metrics(lb, key)).toBe(200);

    const revoked = await fetch(`${b.url}/api/v1/keys/${info.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(revoked.status).toBe(204);
    const t0 = Date.now();
    expect(await metrics(b.url, key)).toBe(401); // the replica that revoked forgets it at once
    await eventually(async () => (await metrics(a.url, key)) === 401, 5000);
    const seenAfter = Date.now() - t0;
    expect(seenAfter).toBeLessThan(5000);
    for (let i = 0; i < 4; i++) expect(await metrics(lb, key)).toBe(401);
  });

  it('failed attempts on one replica hold the address back on the other (count in Redis)', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const wrong = `vgl_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    // Every attempt here comes from 127.0.0.1 (nginx's address too): the count of the test above
    // goes on. Failing on replica a alone until a holds the address back…
    let failures = 0;
    while ((await metrics(a.url, wrong)) === 401) {
      failures++;
      expect(failures).toBeLessThanOrEqual(config.auth.maxFailures);
    }
    // …holds it back on replica b too, which saw none of them.
    const r = await fetch(`${b.url}/metrics`, { headers: { authorization: `Bearer ${wrong}` } });
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await r.json()) as { code: string }).code).toBe('VIGIL_ERR_AUTH_RATE_LIMITED');
  });
});
