/**
 * Per-series pipelines through the HTTP API of `vigil serve`: a whole declaration or the legacy
 * shorthand is accepted and resolved; an invalid one is a 400 naming the field and changes nothing.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const KEY = encodeURIComponent('pl_cpu{host="a"}');
let server: TestServer | undefined;
let firstDir: string | undefined;

afterAll(async () => {
  await server?.dispose();
  if (firstDir !== undefined) rmSync(firstDir, { recursive: true, force: true });
});

async function call(url: string, method: 'GET' | 'PUT', body?: unknown) {
  const r = await fetch(`${url}/api/v1/series/config?series=${KEY}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('per-series pipelines over HTTP', () => {
  it('sets a declared pipeline, translates the shorthand, and refuses an invalid one naming the field', async () => {
    server = await startTestServer();
    const url = server.url;
    const w = await fetch(`${url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [{ metric: 'pl_cpu', tags: { host: 'a' }, ts: 1000, value: 1 }] }),
    });
    expect(w.status).toBe(204);

    const before = await call(url, 'GET');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ detector: 'vigil', pipeline: { name: 'vigil', threshold: 0.5 } });

    const set = await call(url, 'PUT', {
      pipeline: {
        detector: { name: 'ewma', params: { alpha: 0.05 } },
        calibration: { name: 'likelihood' },
        threshold: 0.99,
        postRules: [
          { name: 'direction', value: 'up' },
          { name: 'minDuration', points: 3 },
        ],
      },
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      detector: 'ewma',
      threshold: 0.99,
      params: { alpha: 0.05, warmup: 20 },
      pipeline: {
        calibration: { name: 'likelihood', averagingWindow: 10 },
        afterglow: { level: 0.5, tau: 100 }, // ewma's default, filled in
        postRules: [
          { name: 'direction', value: 'up' },
          { name: 'minDuration', points: 3 },
        ],
      },
    });

    for (const [body, field] of [
      [{ pipeline: { detector: { name: 'ewma', params: { alpha: 2 } } } }, 'pipeline.detector.params.alpha'],
      [
        { pipeline: { detector: { name: 'ewma' }, postRules: [{ name: 'nope' }] } },
        'pipeline.postRules.0.name',
      ],
      [{ detector: 'seasonal', params: { minPeriod: 'x' } }, 'params.minPeriod'],
      [{ detector: 'vigil-events' }, 'detector'],
      [{ pipeline: { detector: { name: 'ewma' } }, threshold: 0.5 }, 'threshold'],
    ] as const) {
      const bad = await call(url, 'PUT', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.field, JSON.stringify(bad.body)).toBe(field);
      expect(String(bad.body.error).startsWith(`${field}:`)).toBe(true);
    }
    // The shape itself is checked by the route's schema: still a 400 naming the field.
    const shapeless = await call(url, 'PUT', { pipeline: { calibration: { name: 'none' } } });
    expect(shapeless.status).toBe(400);
    expect(String(shapeless.body.field)).toContain('pipeline');
    // An afterglow that could reach the threshold (level ≥ 1) is refused by the same schema.
    const glow = await call(url, 'PUT', {
      pipeline: { detector: { name: 'ewma' }, afterglow: { level: 1 } },
    });
    expect(glow.status).toBe(400);
    expect(String(glow.body.field)).toContain('pipeline.afterglow.level');
    expect(String(glow.body.error)).toMatch(/must be < 1/);
    // Nothing stored changed (GET adds what the running pipeline's post-rules learnt).
    const { learned: _learned, ...stored } = (await call(url, 'GET')).body;
    expect(stored).toEqual(set.body);

    const legacy = await call(url, 'PUT', {
      detector: 'robust-z',
      params: { bandSigmas: 4 },
      threshold: 0.9,
    });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({
      detector: 'robust-z',
      threshold: 0.9,
      pipeline: {
        name: 'robust-z',
        detector: { name: 'robust-z' },
        calibration: { name: 'lite-likelihood' },
      },
    });
    // The config survives a restart.
    firstDir = server.dataDir;
    await server.close();
    server = await startTestServer({ dataDir: firstDir });
    expect((await call(server.url, 'GET')).body).toEqual(legacy.body);
  });
});
