/**
 * The web UI with `auth.mode: keys`, in real Chromium: the page asks for an API key, refuses a
 * wrong one, and with a good one shows the key's tenant and sends the key (kept in
 * sessionStorage) as a Bearer token on every API call, the shell's early points request of a
 * reloaded explorer URL included; signing out forgets it. The login form
 * has no serious or critical axe-core violation; a screenshot of it is saved under test-results/ui/.
 */
import type { Browser, Request } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { launchChromium, openPage, screenshot, seriousViolations } from '../helpers/browser.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let s: TestServer;
let browser: Browser;
let key = '';

beforeAll(async () => {
  s = await startTestServer({ auth: { mode: 'keys', maxFailures: 1000 } });
  key = (await s.keys.create({ tenant: 'acme', scopes: ['read'] })).key;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await s?.dispose();
});

it('signs in with an API key, shows the tenant, and sends the key as Bearer', async () => {
  const { page, errors } = await openPage(browser);
  await page.goto(`${s.url}/`);
  const input = page.getByLabel('API key');
  await input.waitFor();
  expect(await seriousViolations(page)).toEqual([]);
  await screenshot(page, 'login');

  // A key typed in the form is tried on whoami alone before the page uses it: a wrong one costs
  // one failed authentication (auth.maxFailures), not one per request of the page.
  const wrong = `vgl_${'0'.repeat(16)}_${'x'.repeat(43)}`;
  const tried: Promise<string | undefined>[] = [];
  const onWrong = (r: Request) => {
    tried.push(
      r
        .headerValue('authorization')
        .then((v) => (v === `Bearer ${wrong}` ? new URL(r.url()).pathname : undefined)),
    );
  };
  page.on('request', onWrong);
  await input.fill(wrong);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'That key was not accepted.' }).waitFor();
  page.off('request', onWrong);
  expect((await Promise.all(tried)).filter((p) => p !== undefined)).toEqual(['/api/v1/whoami']);

  const sent: Request[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/')) sent.push(r);
  });
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="tenant"]', { hasText: 'acme' }).waitFor();
  await page.locator('[data-testid="series-count"]', { hasText: '0' }).waitFor();
  expect(await page.evaluate('sessionStorage.getItem("vigil.apiKey")')).toBe(key);
  expect(sent.length).toBeGreaterThan(0);
  for (const r of sent) expect(await r.headerValue('authorization')).toBe(`Bearer ${key}`);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('API key').waitFor();
  expect(await page.evaluate('sessionStorage.getItem("vigil.apiKey")')).toBeNull();
  // The only errors: the browser's log of refused calls (without a key, the page's first requests
  // go out beside whoami; a missing key is no failed authentication), the wrong key's whoami.
  expect(errors.filter((e) => !/status of 401 /.test(e))).toEqual([]);
  expect(errors.filter((e) => /\/api\/v1\/whoami\)$/.test(e))).toHaveLength(2);
});

it('a reload of an explorer URL on a key: the shell sends the stored key with its early points request', async () => {
  const writer = (await s.keys.create({ tenant: 'acme', scopes: ['ingest'] })).key;
  const series = 'ui_login_cpu{host="a"}';
  const r = await fetch(`${s.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${writer}` },
    body: JSON.stringify({
      points: Array.from({ length: 50 }, (_, i) => ({
        metric: 'ui_login_cpu',
        tags: { host: 'a' },
        ts: Date.UTC(2026, 0, 1) + i * 10_000,
        value: 10 + (i % 5),
      })),
    }),
  });
  expect(r.status).toBe(204);
  await eventually(async () => {
    const p = await fetch(`${s.url}/api/v1/points?series=${encodeURIComponent(series)}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    return p.ok && ((await p.json()) as { total: number }).total === 50;
  });

  const { page, errors } = await openPage(browser);
  await page.goto(`${s.url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-testid="tenant"]', { hasText: 'acme' }).waitFor();
  await page.goto(`${s.url}/#/explore?match=${encodeURIComponent(series)}`);
  // The chart before the reload, drawn: its points request is out and answered, so the listener
  // below sees only the reload's requests (goto returns at the load event, before the app's fetch).
  await page.locator('.chart p', { hasText: '50 points in range' }).waitFor();
  const points: Request[] = [];
  page.on('request', (q) => {
    if (new URL(q.url()).pathname === '/api/v1/points') points.push(q);
  });
  // A reload loads the shell again; sessionStorage (the key) stays with the tab. The errors
  // before it are the keyless first load's 401s (see above).
  errors.length = 0;
  await page.reload();
  await page.locator('.chart p', { hasText: '50 points in range' }).waitFor();
  expect(points.length).toBe(1);
  expect(new URL(points[0]!.url()).searchParams.get('maxPoints')).toBe('1280');
  expect(await points[0]!.headerValue('authorization')).toBe(`Bearer ${key}`);
  expect(errors).toEqual([]);
  await page.context().close();
});
