/**
 * The embedded engine sharded over threads gives the answer of one thread: the same input (points
 * of many series, a per-series config change, a series deleted midway) through
 * a real server with `engine.threads` 1 and one with 2 leaves identical stored points, scores and
 * anomalies; calls about one series reach the thread that owns it, and counters and the lag come
 * from every thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const SERIES = 24;
const ROUNDS = 240;
const T0 = 1_700_000_000_000;
const servers: TestServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.dispose();
});

const key = (s: number) => `sh_cpu{s="${s}"}`;
const q = (s: number) => encodeURIComponent(key(s));
/** A noisy level per series, with a spike every 60 rounds (shifted per series): anomalies to compare. */
const value = (s: number, i: number) => 10 + s + Math.sin(i * 0.7 + s) + ((i + s * 7) % 60 === 59 ? 40 : 0);

async function send(url: string, path: string, method: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${path}`, {
    method,
    ...(body !== undefined
      ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
      : {}),
  });
}

async function feed(server: TestServer, from: number, to: number): Promise<void> {
  // Requests mixing every series, as a collector sends them.
  for (let i = from; i < to; i += 20) {
    const points = [];
    for (let r = i; r < Math.min(to, i + 20); r++)
      for (let s = 0; s < SERIES; s++)
        points.push({ metric: 'sh_cpu', tags: { s: String(s) }, ts: T0 + r * 1000, value: value(s, r) });
    expect((await send(server.url, '/api/v1/points', 'POST', { points })).status).toBe(204);
  }
  await server.engine.drain();
}

/** Runs the whole scenario on a fresh server; returns everything it stored, as the API shows it. */
async function run(threads: number) {
  const server = await startTestServer({
    engine: {
      threads,
      pipeline: {
        detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
        calibration: { name: 'none' },
        threshold: 0.999,
        postRules: [],
      },
    },
  });
  servers.push(server);
  expect(server.engine.threads).toBe(threads);
  await feed(server, 0, ROUNDS / 2);
  // Per-series calls go to the series' owner: a config change (series 3 starts afresh) and a deletion.
  const put = await send(server.url, `/api/v1/series/config?series=${q(3)}`, 'PUT', {
    pipeline: {
      detector: { name: 'ewma', params: { alpha: 0.3, bandSigmas: 2, warmup: 3, minStd: 1e-9 } },
      calibration: { name: 'none' },
      threshold: 0.99,
      postRules: [],
    },
  });
  expect(put.status).toBe(200);
  const cfg = (await (await send(server.url, `/api/v1/series/config?series=${q(3)}`, 'GET')).json()) as {
    threshold: number;
  };
  expect(cfg.threshold).toBe(0.99);
  expect((await send(server.url, `/api/v1/series?series=${q(4)}`, 'DELETE')).status).toBe(200);
  await server.engine.checkpoint();
  await feed(server, ROUNDS / 2, ROUNDS);
  await server.engine.checkpoint();

  const points = new Map<string, unknown[]>();
  for (let s = 0; s < SERIES; s++) {
    const r = await send(server.url, `/api/v1/points?series=${q(s)}&maxPoints=100000`, 'GET');
    points.set(key(s), r.status === 200 ? ((await r.json()) as { points: unknown[] }).points : []);
  }
  const anomalies = (await (await send(server.url, '/api/v1/anomalies?limit=1000', 'GET')).json()) as {
    anomalies: unknown[];
  };
  const limited = (await (await send(server.url, '/api/v1/anomalies?limit=5', 'GET')).json()) as {
    anomalies: unknown[];
  };
  return {
    points,
    anomalies: anomalies.anomalies,
    limited: limited.anomalies,
    stats: server.engine.stats,
    lag: server.engine.lagPoints,
    seriesCount: server.engine.seriesCount,
  };
}

describe('engine sharded over threads', () => {
  it('threads=2 stores exactly what threads=1 stores: points, scores, anomalies', async () => {
    const one = await run(1);
    const two = await run(2);
    // Not vacuous: every series has every point but the deleted one, whose points sent after the
    // deletion made it anew (a new id); and there are anomalies.
    expect(one.points.get(key(4))!.length).toBe(ROUNDS / 2);
    expect(one.points.get(key(5))!.length).toBe(ROUNDS);
    expect(one.points.get(key(3))!.length).toBe(ROUNDS);
    expect(one.anomalies.length).toBeGreaterThan(SERIES);
    expect(one.limited.length).toBe(5);
    expect(two.points).toEqual(one.points);
    expect(two.anomalies).toEqual(one.anomalies);
    expect(two.limited).toEqual(one.limited);
    // Counters summed over the threads; nothing left unscored.
    expect(two.lag).toBe(0);
    expect(two.stats.pointsAccepted).toBe(one.stats.pointsAccepted);
    expect(two.stats.pointsScored).toBe(one.stats.pointsScored);
    expect(two.seriesCount).toBe(one.seriesCount);
  }, 120_000);
});
