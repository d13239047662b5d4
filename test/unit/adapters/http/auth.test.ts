/**
 * The auth hook on a bare fastify app: the forms a key may take, the tenant on the request,
 * refusal of a route without a scope, the failed-auth limit, and 10,000+ generated headers and
 * keys that never cause a 5xx.
 */
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthOptions, credentialsOf, installAuth } from '../../../../src/adapters/http/auth.ts';
import { installErrorHandler } from '../../../../src/adapters/http/errors.ts';
import { MemoryCache } from '../../../../src/adapters/memory/cache.ts';
import { openDatabase, SqliteApiKeyStore } from '../../../../src/adapters/sqlite/index.ts';
import { ApiKeys } from '../../../../src/app/api-keys.ts';

const apps: FastifyInstance[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
});

async function appWith(
  mode: 'keys' | 'loopback',
  o: { maxFailures?: number; now?: { t: number } } = {},
): Promise<{ app: FastifyInstance; keys: ApiKeys }> {
  const now = o.now ?? { t: 1_000_000 };
  const keys = new ApiKeys(new SqliteApiKeyStore(openDatabase(':memory:', 'normal')), { now: () => now.t });
  const auth: AuthOptions =
    mode === 'keys'
      ? {
          mode,
          keys,
          failures: {
            cache: new MemoryCache({ now: () => now.t }),
            maxFailures: o.maxFailures ?? 1_000_000,
            windowMs: 60_000,
            now: () => now.t,
          },
        }
      : { mode };
  const app = Fastify();
  apps.push(app);
  installErrorHandler(app, () => 1);
  installAuth(app, auth);
  const who = async (req: { tenant: string; principal?: { keyId: string } }) => ({
    tenant: req.tenant,
    key: req.principal?.keyId ?? null,
  });
  app.get('/r', { config: { scope: 'read' } }, who);
  app.post('/write', { config: { scope: 'ingest' } }, who);
  app.get('/open', { config: { scope: 'public' } }, who);
  await app.ready();
  return { app, keys };
}

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('auth hook', () => {
  it('takes the key in every form real clients send, and puts its tenant on the request', async () => {
    const { app, keys } = await appWith('keys');
    const { key, info } = await keys.create({ tenant: 'team-a', scopes: ['read', 'ingest'] });
    const ok = { tenant: 'team-a', key: info.id };
    const forms: [string, string, Record<string, string>][] = [
      ['GET', '/r', { authorization: `Bearer ${key}` }],
      ['GET', '/r', { authorization: `bearer ${key}` }],
      ['GET', '/r', { authorization: basic('prometheus', key) }],
      ['GET', '/r', { authorization: `Token ${key}` }],
      ['GET', '/r', { authorization: `Token telegraf:${key}` }],
      ['POST', `/write?db=x&u=telegraf&p=${key}`, {}],
    ];
    for (const [method, url, headers] of forms) {
      const r = await app.inject({ method: method as 'GET', url, headers });
      expect(r.statusCode, `${method} ${url} ${JSON.stringify(headers)}`).toBe(200);
      expect(r.json()).toEqual(ok);
    }
  });

  it('answers 401 with WWW-Authenticate for no key and bad ones, 403 naming the scope, public routes open', async () => {
    const { app, keys } = await appWith('keys');
    const { key } = await keys.create({ scopes: ['ingest'] });
    const bad = [
      undefined,
      'Bearer',
      'Bearer ',
      `Bearer ${key.slice(0, -1)}x`,
      `Digest ${key}`,
      basic(key, ''),
      `Bearer ${'x'.repeat(5000)}`,
    ];
    for (const authorization of bad) {
      const r = await app.inject({
        url: '/r',
        headers: authorization === undefined ? {} : { authorization },
      });
      expect(r.statusCode, authorization).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="vigil"');
      expect(r.json().code).toBe('VIGIL_ERR_UNAUTHENTICATED');
    }
    // u/p count on /write only: elsewhere a key in the URL is not looked at.
    expect((await app.inject({ url: `/r?p=${key}` })).statusCode).toBe(401);
    const r = await app.inject({ url: '/r', headers: { authorization: `Bearer ${key}` } });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'VIGIL_ERR_FORBIDDEN', field: 'scope' });
    expect(r.json().error).toContain('"read"');
    expect((await app.inject({ url: '/open' })).json()).toEqual({ tenant: 'default', key: null });
    // An unknown route is a 404 only to a valid key.
    expect((await app.inject({ url: '/nope' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/nope', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(
      404,
    );
  });

  it('serves anonymously as the default tenant outside keys mode', async () => {
    const { app } = await appWith('loopback');
    expect((await app.inject({ url: '/r' })).json()).toEqual({ tenant: 'default', key: null });
  });

  it('refuses to start with a route that declares no scope', async () => {
    const app = Fastify();
    apps.push(app);
    installAuth(app, { mode: 'loopback' });
    expect(() => app.get('/new', async () => 'x')).toThrow('GET /new declares no scope');
  });

  it('limits failed authentications per client address: 429 with Retry-After until the window ends', async () => {
    const now = { t: 1_000_020_000 }; // 20 s into a 60 s window
    const { app, keys } = await appWith('keys', { maxFailures: 3, now });
    const { key } = await keys.create({ scopes: ['read'] });
    const wrong = `vgl_${'0'.repeat(16)}_${'A'.repeat(43)}`;
    const from = (remoteAddress: string, k: string) =>
      app.inject({ url: '/r', remoteAddress, headers: { authorization: `Bearer ${k}` } });
    for (let i = 0; i < 3; i++) expect((await from('10.0.0.1', wrong)).statusCode).toBe(401);
    const limited = await from('10.0.0.1', wrong);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('VIGIL_ERR_AUTH_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBe(60);
    // A good key not yet verified here is held back too; another address is not.
    expect((await from('10.0.0.1', key)).statusCode).toBe(429);
    expect((await from('10.0.0.2', key)).statusCode).toBe(200);
    // Missing keys are not guesses: they do not count.
    for (let i = 0; i < 5; i++)
      expect((await app.inject({ url: '/r', remoteAddress: '10.0.0.3' })).statusCode).toBe(401);
    expect((await from('10.0.0.3', key)).statusCode).toBe(200);
    now.t += 30_000;
    expect(Number((await from('10.0.0.1', wrong)).headers['retry-after'])).toBe(30);
    now.t += 30_000;
    expect((await from('10.0.0.1', key)).statusCode).toBe(200);
    // A key verified within the cache TTL is not held back by the limiter.
    for (let i = 0; i < 3; i++) await from('10.0.0.1', wrong);
    expect((await from('10.0.0.1', wrong)).statusCode).toBe(429);
    expect((await from('10.0.0.1', key)).statusCode).toBe(200);
  });

  it('never answers 5xx to 10,000 generated authorization headers, query keys and near-miss keys', async () => {
    const { app, keys } = await appWith('keys', { maxFailures: 1_000_000 });
    const { key } = await keys.create({ scopes: ['read'] });
    const id = key.slice(4, 20);
    const header = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc
        .tuple(
          fc.constantFrom('Bearer', 'bearer', 'Token', 'Basic', 'Digest', ''),
          fc.string({ maxLength: 120 }),
        )
        .map(([s, v]) => `${s} ${v}`),
      fc.string({ maxLength: 80 }).map((v) => `Basic ${Buffer.from(v).toString('base64')}`),
      fc.string({ unit: 'binary', maxLength: 80 }).map((v) => `Token ${v}`),
      fc.stringMatching(/^vgl_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/).map((k) => `Bearer ${k}`),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(header, fc.string({ maxLength: 80 }), async (authorization, p) => {
        runs++;
        // Node refuses some header values itself (control characters); those never reach us.
        let r: Awaited<ReturnType<typeof app.inject>>;
        try {
          r = await app.inject({
            method: 'POST',
            url: `/write?p=${encodeURIComponent(p)}`,
            headers: { authorization },
          });
        } catch {
          return;
        }
        expect(r.statusCode).toBeLessThan(500);
        expect([200, 401, 403, 429]).toContain(r.statusCode);
      }),
      { numRuns: 10_000 },
    );
    // Near misses of a real key reach scrypt (same id, one secret character changed): fewer runs.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 42 }), fc.constantFrom(...'AZaz09-_'), async (i, c) => {
        runs++;
        const secret = key.slice(21);
        if (secret[i] === c) return;
        const guess = `vgl_${id}_${secret.slice(0, i)}${c}${secret.slice(i + 1)}`;
        const r = await app.inject({ url: '/r', headers: { authorization: `Bearer ${guess}` } });
        expect(r.statusCode).toBe(401);
      }),
      { numRuns: 20 },
    );
    expect(runs).toBeGreaterThanOrEqual(10_000);
  }, 120_000);

  it('reads credentials without throwing on odd requests', () => {
    const route = { url: '/write' } as never;
    expect(credentialsOf({ headers: {}, query: {}, routeOptions: route })).toBeUndefined();
    expect(credentialsOf({ headers: {}, query: { p: ['a', 'b'] }, routeOptions: route })).toBeUndefined();
    expect(credentialsOf({ headers: { authorization: 'Basic !!!' }, query: {}, routeOptions: route })).toBe(
      '',
    );
  });
});
