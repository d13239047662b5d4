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

async function send(
  path: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${server.url}${path}`, { method: 'POST', headers, body });
  const text = await r.text();
  return { status: r.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const JSON_CT = { 'content-type': 'application/json' };

describe('nothing is accepted silently', () => {
  it('a text/plain or form POST to /api/v1/points (what a cross-site page can send) is a 415', async () => {
    const body = JSON.stringify({ points: [{ metric: 'csrf', ts: T, value: 1 }] });
    for (const ct of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded']) {
      const r = await send('/api/v1/points', body, { 'content-type': ct });
      expect(r.status, ct).toBe(415);
      expect(r.body).toMatchObject({ code: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE', field: 'Content-Type' });
    }
    expect((await seriesKeys('csrf')).keys).toEqual([]);
  });

  it('/write keeps the types Influx clients and curl send', async () => {
    for (const ct of [
      'text/plain; charset=utf-8',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]) {
      const r = await send('/write?precision=s', `ct,c=${ct.length} v=1 ${T / 1000}`, { 'content-type': ct });
      expect(r.status, ct).toBe(204);
    }
    expect((await send('/write', 'ct v=1', { 'content-type': 'application/json' })).status).toBe(415);
  });

  it('remote_write 2.0 is refused by its type with 415, so the sender falls back to 1.0', async () => {
    const r = await send('/api/v1/write', new Uint8Array([0]), {
      'content-type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
      'content-encoding': 'snappy',
    });
    expect(r.status).toBe(415);
    expect(String(r.body.error)).toMatch(/io\.prometheus\.write\.v2\.Request/);
  });

  it('an Idempotency-Key reused with another body is a 422, and the second body is not stored', async () => {
    const body = (v: number) => JSON.stringify({ points: [{ metric: 'idem2', ts: T, value: v }] });
    const h = { ...JSON_CT, 'idempotency-key': 'reuse-1' };
    expect((await send('/api/v1/points', body(1), h)).status).toBe(204);
    expect((await send('/api/v1/points', body(1), h)).status).toBe(204);
    const r = await send('/api/v1/points', body(2), h);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'VIGIL_ERR_IDEMPOTENCY_CONFLICT', field: 'Idempotency-Key' });
  });

  it.each([
    [
      'a repeated point field',
      '{"points":[{"metric":"dup","ts":1767225600000,"value":1,"value":2}]}',
      /`value`/,
    ],
    [
      'a repeated tag name',
      '{"points":[{"metric":"dup","tags":{"h":"a","h":"b"},"ts":1767225600000,"value":1}]}',
      /`h`/,
    ],
    [
      'a repeated `points`',
      '{"points":[],"points":[{"metric":"dup","ts":1767225600000,"value":1}]}',
      /`points`/,
    ],
  ])('%s is a 400 naming the key', async (_, text, key) => {
    const r = await send('/api/v1/points', text, JSON_CT);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VIGIL_ERR_BAD_JSON', line: 1 });
    expect(String(r.body.error)).toMatch(key);
    expect(String(r.body.error)).toMatch(/appears twice/);
    expect((await seriesKeys('dup')).keys).toEqual([]);
  });

  it('invalid UTF-8 is a 400 naming the line, for JSON, NDJSON and line protocol', async () => {
    const bad = (prefix: string, suffix: string) =>
      Buffer.concat([Buffer.from(prefix), Buffer.from([0xc3, 0x28]), Buffer.from(suffix)]);
    const nd = bad(
      `{"metric":"utf","ts":${T},"value":1}\n{"metric":"utf","tags":{"h":"`,
      `"},"ts":${T},"value":1}\n`,
    );
    const cases: [string, Buffer, Record<string, string>, string, number][] = [
      [
        '/api/v1/points',
        bad('{"points":[{"metric":"utf', `","ts":${T},"value":1}]}`),
        JSON_CT,
        'VIGIL_ERR_BAD_JSON',
        1,
      ],
      ['/api/v1/points', nd, { 'content-type': 'application/x-ndjson' }, 'VIGIL_ERR_BAD_JSON', 2],
      [
        '/write',
        bad('utf v=1\nutf,h=', ' v=2\n'),
        { 'content-type': 'text/plain' },
        'VIGIL_ERR_BAD_LINE_PROTOCOL',
        2,
      ],
    ];
    for (const [path, body, headers, code, line] of cases) {
      const r = await send(path, body, headers);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ code, line });
      expect(String(r.body.error)).toMatch(/UTF-8/);
    }
    expect((await seriesKeys('utf')).keys).toEqual([]);
  });

  it('a seconds timestamp in JSON is refused, not stored in 1970', async () => {
    const r = await send(
      '/api/v1/points',
      JSON.stringify({ points: [{ metric: 'secs', ts: 1767225600, value: 1 }] }),
      JSON_CT,
    );
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VIGIL_ERR_BAD_POINT', index: 0, field: 'ts' });
    expect(String(r.body.error)).toMatch(/seconds/);
    expect((await seriesKeys('secs')).keys).toEqual([]);
  });

  it('a seconds timestamp in remote_write is refused', async () => {
    const { encodeRemoteWrite } = await import('../../src/adapters/ingest/encode.ts');
    const rw = { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' };
    const secs = encodeRemoteWrite([
      { labels: { __name__: 'secs' }, samples: [{ ts: 1767225600, value: 1 }] },
    ]);
    const r = await send('/api/v1/write', secs, rw);
    expect(r.status).toBe(400);
    expect(String(r.body.error)).toMatch(/seconds/);
  });

  it('16 MB of `[` is refused at the first level too deep, before JSON.parse builds it', async () => {
    const r = await send('/api/v1/points', '['.repeat(1 << 20), JSON_CT);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ code: 'VIGIL_ERR_BAD_JSON', line: 1 });
    expect(String(r.body.error)).toMatch(/column 5: nested deeper than 4/);
  });
});

describe('every error has the documented shape', () => {
  it('431 for oversized headers', async () => {
    const r = await fetch(`${server.url}/healthz`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    expect(r.status).toBe(431);
    expect(await r.json()).toEqual({ error: expect.any(String), code: 'VIGIL_ERR_HEADERS_TOO_LARGE' });
  });

  it('a 403 raised anywhere (here: a route of a bare app) is in the shape too', async () => {
    const Fastify = (await import('fastify')).default;
    const { installErrorHandler } = await import('../../src/adapters/http/errors.ts');
    const app = Fastify();
    installErrorHandler(app, () => 1);
    app.get('/x', async () => {
      throw Object.assign(new Error('Forbidden'), { statusCode: 403 });
    });
    const r = await app.inject('/x');
    expect(r.statusCode).toBe(403);
    expect(r.json()).toEqual({ error: 'Forbidden', code: 'VIGIL_ERR_FORBIDDEN' });
    await app.close();
  });
});

describe('per-tenant points per second (limits.ingestPointsPerSecond)', () => {
  it('answers 429 with the bucket’s Retry-After past the rate, counted per tenant', async () => {
    const limited = await startTestServer({ limits: { ingestPointsPerSecond: 100, ingestBurstPoints: 200 } });
    try {
      const body = (from: number, n: number) =>
        JSON.stringify({
          points: Array.from({ length: n }, (_, i) => ({ metric: 'rate', ts: T + from + i, value: i })),
        });
      const post = (from: number, n: number) =>
        fetch(`${limited.url}/api/v1/points`, { method: 'POST', headers: JSON_CT, body: body(from, n) });
      expect((await post(0, 150)).status).toBe(204);
      const r = await post(150, 100); // 50 left, 100 asked: 50 missing at 100/s
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({ code: 'VIGIL_ERR_RATE_LIMITED' });
      const m = await (await fetch(`${limited.url}/metrics`)).text();
      expect(m).toMatch(/vigil_limit_refusals_total\{tenant="default",limit="ingestPointsPerSecond"\} 1/);
    } finally {
      await limited.dispose();
    }
  });
});
