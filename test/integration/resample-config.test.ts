/**
 * Per-series resampling through the HTTP API of `vigil serve`: set with PUT, validated against the
 * lateness with a 400 naming the field, kept across a restart, and the series is then scored per
 * bucket (late points inside the lateness land in their bucket first); `resample: null` turns it off.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const SERIES = 'rs_cpu{host="a"}';
const KEY = encodeURIComponent(SERIES);
let server: TestServer | undefined;

afterAll(async () => {
  await server?.dispose();
});

async function put(url: string, body: unknown) {
  const r = await fetch(`${url}/api/v1/series/config?series=${KEY}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

async function write(url: string, pts: [number, number][]) {
  const r = await fetch(`${url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      points: pts.map(([ts, value]) => ({ metric: 'rs_cpu', tags: { host: 'a' }, ts, value })),
    }),
  });
  expect(r.status).toBe(204);
}

describe('per-series resampling over HTTP', () => {
  it('scores one point per bucket, survives a restart, and can be turned off', async () => {
    const engine = { allowedLatenessMs: 10_000, detector: 'ewma' };
    server = await startTestServer({ engine });
    const T0 = 28_333_334 * 60_000; // a whole minute
    await write(server.url, [[T0 - 3_600_000, 1]]); // the series exists before its config is set
    const tooFine = await put(server.url, { resample: { intervalMs: 1, aggregate: 'sum' } });
    expect(tooFine).toMatchObject({
      status: 400,
      body: {
        code: 'VIGIL_ERR_BAD_REQUEST',
        message: expect.stringMatching(/too small for engine.allowedLatenessMs 10000/),
      },
    });
    expect((await put(server.url, { resample: { intervalMs: 1000, aggregate: 'median' } })).status).toBe(400);
    const ok = await put(server.url, { resample: { intervalMs: 60_000, aggregate: 'sum' } });
    expect(ok).toMatchObject({ status: 200, body: { resample: { intervalMs: 60_000, aggregate: 'sum' } } });

    // Minute buckets of 1-per-second points valued 1; the point at 61 s arrives after 64 s (late,
    // within the lateness): it still counts in bucket [60 s, 120 s).
    const pts: [number, number][] = [];
    for (let s = 0; s < 200; s++) if (s !== 61) pts.push([T0 + s * 1000, 1]);
    pts.splice(65, 0, [T0 + 61_000, 1]);
    await write(server.url, pts);
    const scored = async (url: string) =>
      (
        (await (await fetch(`${url}/api/v1/points?series=${KEY}&maxPoints=1000`)).json()) as {
          points: { ts: number; value: number }[];
        }
      ).points.map((p) => [p.ts - T0, p.value]);
    const until = (url: string, n: number) =>
      eventually(async () => {
        const got = await scored(url);
        return got.length === n ? got : null;
      });
    // Newest 199 s, lateness 10 s: [0, 60 s), [60 s, 120 s), [120 s, 180 s) are closed; [180 s,
    // 240 s) holds 20 points, open.
    expect(await until(server.url, 4)).toEqual([
      [-3_600_000, 1],
      [0, 60],
      [60_000, 60],
      [120_000, 60],
    ]);

    // Restart on the same data dir: the open bucket was checkpointed with the detector state.
    await server.close();
    const again = await startEmbedded(
      validateConfig({
        dataDir: server.dataDir,
        logLevel: 'silent',
        http: { host: '127.0.0.1', port: 0 },
        engine,
      }),
    );
    try {
      expect(
        (
          (await (await fetch(`${again.url}/api/v1/series/config?series=${KEY}`)).json()) as {
            resample?: unknown;
          }
        ).resample,
      ).toEqual({
        intervalMs: 60_000,
        aggregate: 'sum',
      });
      const more: [number, number][] = [];
      for (let s = 200; s < 300; s++) more.push([T0 + s * 1000, 1]);
      await write(again.url, more);
      expect((await until(again.url, 5))[4]).toEqual([180_000, 60]);

      // Off again: every point is scored.
      expect((await put(again.url, { resample: null })).body.resample).toBeUndefined();
      await write(again.url, [
        [T0 + 400_000, 1],
        [T0 + 401_000, 1],
      ]);
      expect((await until(again.url, 7)).slice(5)).toEqual([
        [400_000, 1],
        [401_000, 1],
      ]);
    } finally {
      await again.close();
    }
  });
});
