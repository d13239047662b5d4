/**
 * The holes found trying `npm start` as an attacker would (issue 17), each over a real socket
 * against the embedded server. Every case here failed before its fix.
 */
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
const T = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.dispose();
});

async function seriesKeys(match: string): Promise<{ status: number; keys: string[] }> {
  const r = await fetch(`${server.url}/api/v1/series?match=${encodeURIComponent(match)}`);
  const body = (await r.json()) as { series?: { key: string }[] };
  return { status: r.status, keys: (body.series ?? []).map((s) => s.key) };
}

describe('selector regexes run in linear time', () => {
  // V8's backtracking engine needs ~2^n steps for `(a+)+` against n `a` and a `!`: at 27 it took
  // 3 s, at 40 it would take days. RE2 semantics answer at once.
  const evil = `${'a'.repeat(40)}!`;

  beforeAll(async () => {
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        points: [
          { metric: 'redos', tags: { h: evil }, ts: T, value: 1 },
          { metric: 'redos', tags: { h: 'aaa' }, ts: T, value: 1 },
        ],
      }),
    });
    expect(r.status).toBe(204);
  });

  it('GET /api/v1/series with (a+)+ answers, and so does /healthz meanwhile', async () => {
    const [series, health] = await Promise.all([
      seriesKeys('{h=~"(a+)+"}'),
      fetch(`${server.url}/healthz`).then((r) => r.status),
    ]);
    expect(health).toBe(200);
    expect(series).toEqual({ status: 200, keys: ['redos{h="aaa"}'] });
  });

  it('GET /api/v1/anomalies with (a+)+ answers', async () => {
    const r = await fetch(`${server.url}/api/v1/anomalies?match=${encodeURIComponent('{h=~"(a+)+"}')}`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { anomalies: unknown[] }).anomalies).toEqual([]);
  });

  it('!~ and alternations keep PromQL semantics (fully anchored)', async () => {
    expect((await seriesKeys('redos{h!~"a+"}')).keys).toEqual([`redos{h="${evil}"}`]);
    expect((await seriesKeys('redos{h=~"a|aaa"}')).keys).toEqual(['redos{h="aaa"}']);
  });

  it('a pattern outside RE2 (backreference) is a 400 naming the field', async () => {
    const r = await fetch(`${server.url}/api/v1/series?match=${encodeURIComponent('{h=~"(a)\\\\1"}')}`);
    const body = (await r.json()) as Record<string, unknown>;
    expect(r.status).toBe(400);
    expect(body).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'match' });
    expect(String(body.error)).toMatch(/RE2/);
  });
});

describe('compressed bodies sent with Content-Length', () => {
  const line = (host: string) => `cpu,host=${host} usage=1.5 ${T / 1000}\n`;
  const json = (host: string) =>
    JSON.stringify({ points: [{ metric: 'zip', tags: { host }, ts: T, value: 2 }] });

  it.each([
    ['gzip', '/api/v1/points', 'application/json', (h: string) => gzipSync(json(h)), 'zip'],
    ['deflate', '/api/v1/points', 'application/json', (h: string) => deflateSync(json(h)), 'zip'],
    ['gzip', '/write?precision=s', 'text/plain', (h: string) => gzipSync(line(h)), 'cpu_usage'],
    ['deflate', '/write?precision=s', 'text/plain', (h: string) => deflateSync(line(h)), 'cpu_usage'],
  ] as const)('%s on %s is accepted and stored', async (enc, path, ct, make, metric) => {
    const host = `${enc}-${path.length}`;
    const body = make(host);
    const r = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': ct, 'content-encoding': enc, 'content-length': String(body.length) },
      body,
    });
    expect(r.status, await r.text()).toBe(204);
    expect((await seriesKeys(`${metric}{host="${host}"}`)).keys).toEqual([`${metric}{host="${host}"}`]);
  });

  it('a Content-Length that does not match the compressed bytes is still a 400', async () => {
    const body = gzipSync(json('short'));
    const { request } = await import('node:http');
    const u = new URL(`${server.url}/api/v1/points`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            'content-length': String(body.length - 3),
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body.subarray(0, body.length - 3));
    });
    expect(status).toBe(400);
    expect((await seriesKeys('zip{host="short"}')).keys).toEqual([]);
  });
});
