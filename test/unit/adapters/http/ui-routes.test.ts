/**
 * The web UI's routes on a bare fastify app: the shell at `/` is HTML with a CSP that allows no
 * other origin and no inline script but the shell's one (by its hash); the script and style sheet are the esbuild bundle of src/ui,
 * gzipped when asked, with an ETag that answers 304.
 */
import { createHash } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { uiRoutes } from '../../../../src/adapters/http/ui-routes.ts';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify();
  await app.register(uiRoutes);
  await app.ready();
});
afterAll(() => app.close());

it('serves the page shell with a CSP that keeps every resource on this origin', async () => {
  const r = await app.inject({ url: '/' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/html/);
  expect(r.headers['content-security-policy']).toContain("default-src 'self'");
  expect(r.body).toContain('<script type="module" src="/ui/app.js"></script>');
  expect(r.body).not.toMatch(/https?:\/\//);
  // The one inline script (it starts an explorer URL's points request) is allowed by its hash only.
  const csp = r.headers['content-security-policy'] as string;
  expect(csp).not.toContain('unsafe-inline');
  const inline = [...r.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  expect(inline.length).toBe(1);
  const hash = createHash('sha256').update(inline[0]!).digest('base64');
  expect(csp).toContain(`script-src 'self' 'sha256-${hash}'`);
  expect(inline[0]).toContain('/api/v1/points?');
});

it('serves the bundled script, gzipped on request, and 304 for its ETag', async () => {
  const plain = await app.inject({ url: '/ui/app.js' });
  expect(plain.statusCode).toBe(200);
  expect(plain.headers['content-type']).toMatch(/^text\/javascript/);
  // The bundle holds uPlot and the UI's own code: no import is left for the browser to fetch.
  expect(plain.body).toContain('vigil.apiKey');
  expect(plain.body).not.toMatch(/\bimport\s*[{("']/);
  const gz = await app.inject({ url: '/ui/app.js', headers: { 'accept-encoding': 'gzip' } });
  expect(gz.headers['content-encoding']).toBe('gzip');
  expect(gz.rawPayload.length).toBeLessThan(plain.rawPayload.length);
  const again = await app.inject({
    url: '/ui/app.js',
    headers: { 'if-none-match': String(plain.headers.etag) },
  });
  expect(again.statusCode).toBe(304);
});

it("serves the style sheet with uPlot's styles", async () => {
  const r = await app.inject({ url: '/ui/app.css' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/css/);
  expect(r.body).toContain('.uplot');
});
