/**
 * Malformed requests of every format over a real socket: each gets its specific 4xx with the code
 * and location, and nothing from the request is stored (no points accepted, no series created).
 */
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRemoteWrite } from '../../src/adapters/ingest/encode.ts';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
const T = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  server = await startTestServer({
    http: { bodyLimitBytes: 64 * 1024 },
    ingest: { maxPointsPerRequest: 500, maxSeries: 40, maxTagsPerSeries: 8 },
  });
  // One good request first, so "nothing stored" is measured against a non-empty store.
  const r = await post('/api/v1/points', { points: [{ metric: 'ok', ts: T, value: 1 }] });
  expect(r.status).toBe(204);
});
afterAll(async () => {
  await server?.dispose();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  const isRaw = typeof body === 'string' || body instanceof Uint8Array;
  return fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': isRaw ? 'text/plain' : 'application/json', ...headers },
    body: isRaw ? (body as string) : JSON.stringify(body),
  });
}

const pt = (o: Record<string, unknown> = {}) => ({ metric: 'm', tags: { h: 'a' }, ts: T, value: 1, ...o });
const manyTags = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`t${i}`, 'v']));

type Case = {
  name: string;
  path: string;
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  code: string;
  where?: Record<string, unknown>;
};

const cases: Case[] = [
  {
    name: 'json: not JSON',
    path: '/api/v1/points',
    body: '{"points":[',
    headers: { 'content-type': 'application/json' },
    status: 400,
    code: 'VIGIL_ERR_BAD_JSON',
  },
  {
    name: 'json: points not an array',
    path: '/api/v1/points',
    body: { points: 3 },
    status: 400,
    code: 'VIGIL_ERR_BAD_JSON',
  },
  {
    name: 'json: missing metric',
    path: '/api/v1/points',
    body: { points: [pt(), { ts: T, value: 1 }] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { index: 1, field: 'metric' },
  },
  {
    name: 'json: value is a string',
    path: '/api/v1/points',
    body: { points: [pt({ value: 'NaN' })] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { index: 0, field: 'value' },
  },
  {
    name: 'json: value missing',
    path: '/api/v1/points',
    body: { points: [{ metric: 'm', ts: T }] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { field: 'value' },
  },
  {
    name: 'json: impossible date',
    path: '/api/v1/points',
    body: { points: [pt({ ts: '2026-13-01T00:00:00Z' })] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { field: 'ts' },
  },
  {
    name: 'json: negative ts',
    path: '/api/v1/points',
    body: { points: [pt({ ts: -5 })] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { field: 'ts' },
  },
  {
    name: 'json: tag value not a string',
    path: '/api/v1/points',
    body: { points: [pt({ tags: { h: 3 } })] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
  },
  {
    name: 'json: unknown field',
    path: '/api/v1/points',
    body: { points: [pt({ colour: 'red' })] },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { field: 'colour' },
  },
  {
    name: 'json: duplicate point',
    path: '/api/v1/points',
    body: { points: [pt(), pt({ value: 2 })] },
    status: 400,
    code: 'VIGIL_ERR_DUPLICATE_POINT',
  },
  {
    name: 'json: too many tags',
    path: '/api/v1/points',
    body: { points: [pt({ tags: manyTags })] },
    status: 400,
    code: 'VIGIL_ERR_TOO_MANY_TAGS',
  },
  {
    name: 'json: more points than allowed',
    path: '/api/v1/points',
    body: { points: Array.from({ length: 501 }, (_, i) => pt({ ts: T + i })) },
    status: 413,
    code: 'VIGIL_ERR_BATCH_TOO_LARGE',
  },
  {
    name: 'json: body over the limit',
    path: '/api/v1/points',
    body: { points: [pt({ metric: 'x'.repeat(70_000) })] },
    status: 413,
    code: 'VIGIL_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'json: gzip bomb over the limit',
    path: '/api/v1/points',
    body: gzipSync(Buffer.alloc(1_000_000, 32)),
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    status: 413,
    code: 'VIGIL_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'json: unsupported encoding',
    path: '/api/v1/points',
    body: 'x',
    headers: { 'content-encoding': 'br' },
    status: 415,
    code: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'json: too many new series',
    path: '/api/v1/points',
    body: { points: Array.from({ length: 50 }, (_, i) => pt({ tags: { h: String(i) } })) },
    status: 422,
    code: 'VIGIL_ERR_SERIES_LIMIT',
  },
  {
    name: 'ndjson: bad second line',
    path: '/api/v1/points',
    body: `${JSON.stringify(pt())}\n{"metric":"m","ts":1,"value":}`,
    headers: { 'content-type': 'application/x-ndjson' },
    status: 400,
    code: 'VIGIL_ERR_BAD_JSON',
    where: { line: 2 },
  },
  {
    name: 'influx: no fields',
    path: '/write?precision=ms',
    body: `cpu,h=a v=1 ${T}\ncpu,h=a ${T}`,
    status: 400,
    code: 'VIGIL_ERR_BAD_LINE_PROTOCOL',
    where: { line: 2 },
  },
  {
    name: 'influx: bad timestamp',
    path: '/write?precision=ms',
    body: `cpu v=1 12x`,
    status: 400,
    code: 'VIGIL_ERR_BAD_LINE_PROTOCOL',
    where: { line: 1 },
  },
  {
    name: 'influx: NaN value',
    path: '/write',
    body: `cpu v=NaN`,
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
    where: { line: 1 },
  },
  {
    name: 'influx: unknown precision',
    path: '/write?precision=weeks',
    body: `cpu v=1`,
    status: 400,
    code: 'VIGIL_ERR_BAD_REQUEST',
  },
  {
    name: 'influx: duplicate point',
    path: '/write?precision=ms',
    body: `cpu v=1 ${T}\ncpu v=2 ${T}`,
    status: 400,
    code: 'VIGIL_ERR_DUPLICATE_POINT',
  },
  {
    name: 'remote_write: snappy bomb header',
    path: '/api/v1/write',
    body: new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]),
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    status: 413,
    code: 'VIGIL_ERR_BODY_TOO_LARGE',
  },
  {
    name: 'remote_write: not snappy',
    path: '/api/v1/write',
    body: new Uint8Array([0x0a, 0xfe, 0xff, 0xff, 0x01, 2]),
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    status: 400,
    code: 'VIGIL_ERR_BAD_REMOTE_WRITE',
  },
  {
    name: 'remote_write: empty body',
    path: '/api/v1/write',
    body: new Uint8Array(0),
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    status: 400,
    code: 'VIGIL_ERR_BAD_REMOTE_WRITE',
  },
  {
    name: 'remote_write: no __name__',
    path: '/api/v1/write',
    body: encodeRemoteWrite([{ labels: { job: 'x' }, samples: [{ ts: T, value: 1 }] }]),
    headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
    status: 400,
    code: 'VIGIL_ERR_BAD_POINT',
  },
];

describe('bad input is refused whole, with a precise error', () => {
  it.each(cases)('$name → $status $code', async (c) => {
    const before = server.engine.stats.pointsAccepted;
    const r = await post(c.path, c.body, c.headers);
    const body = (await r.json()) as Record<string, unknown>;
    expect(r.status, JSON.stringify(body)).toBe(c.status);
    expect(body.code).toBe(c.code);
    expect(typeof body.error).toBe('string');
    expect((body.error as string).length).toBeGreaterThan(5);
    if (c.where) expect(body).toMatchObject(c.where);
    expect(server.engine.stats.pointsAccepted).toBe(before);
    const series = (await (await fetch(`${server.url}/api/v1/series`)).json()) as {
      series: { key: string }[];
    };
    expect(series.series.map((s) => s.key)).toEqual(['ok']);
  });

  it('remote_write: stale markers and NaN samples are skipped, good samples kept', async () => {
    const stale = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0]!;
    const body = encodeRemoteWrite([
      {
        labels: { __name__: 'ok' },
        samples: [
          { ts: T + 1000, value: 2 },
          { ts: T + 2000, value: stale },
          { ts: T + 3000, value: Number.NaN },
        ],
      },
    ]);
    const r = await post('/api/v1/write', body, {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
    });
    expect(r.status).toBe(204);
    const m = await (await fetch(`${server.url}/metrics`)).text();
    expect(m).toMatch(/vigil_ingest_skipped_total\{format="prometheus",reason="stale_marker"\} 1/);
    expect(m).toMatch(/vigil_ingest_skipped_total\{format="prometheus",reason="non_finite"\} 1/);
  });
});
