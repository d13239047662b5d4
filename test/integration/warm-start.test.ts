/**
 * Warm start through `vigil serve`: a series with stored history gets a new per-series config over
 * HTTP; the new pipeline (an EWMA on probation for its first 200 points) is primed from the stored
 * points before the PUT is answered, so a spike right after the change is an anomaly. With
 * `models.warmStartPoints: 0` the new pipeline starts cold and stays silent on the same spike.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const SERIES = 'ws_cpu{host="a"}';
const KEY = encodeURIComponent(SERIES);
const T0 = 1_700_000_000_000;
const PROBATION = {
  pipeline: {
    detector: { name: 'ewma', params: { alpha: 0.05, bandSigmas: 4, warmup: 200 } },
    calibration: { name: 'none' },
    threshold: 0.999,
    postRules: [],
  },
};

let server: TestServer | undefined;
afterEach(async () => {
  await server?.dispose();
  server = undefined;
});

async function post(url: string, points: { ts: number; value: number }[]) {
  const r = await fetch(`${url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points: points.map((p) => ({ metric: 'ws_cpu', tags: { host: 'a' }, ...p })) }),
  });
  expect(r.status).toBe(204);
}

/** The anomalies of the series that start after the config change, once everything sent is scored. */
async function spikeAnomalies(overrides: Record<string, unknown>): Promise<{ start: number }[]> {
  server = await startTestServer({ engine: { threads: 2, checkpointIntervalMs: 50 }, ...overrides });
  const url = server.url;
  // 300 points of history, a gentle wave, all scored (and so stored) before the change.
  const history = Array.from({ length: 300 }, (_, i) => ({ ts: T0 + i * 1000, value: 10 + Math.sin(i / 3) }));
  await post(url, history);
  await server.engine.drain();
  await server.engine.checkpoint();

  const put = await fetch(`${url}/api/v1/series/config?series=${KEY}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(PROBATION),
  });
  expect(put.status).toBe(200);

  const spikeTs = T0 + 305_000;
  await post(url, [
    { ts: T0 + 300_000, value: 10 },
    { ts: spikeTs, value: 100 },
    { ts: T0 + 310_000, value: 10 },
  ]);
  await server.engine.drain();
  const r = await fetch(`${url}/api/v1/anomalies?series=${KEY}`);
  expect(r.status).toBe(200);
  const body = (await r.json()) as { anomalies: { start: number }[] };
  return body.anomalies.filter((a) => a.start >= T0 + 300_000);
}

describe('warm start after a per-series config change', () => {
  it('primes the new pipeline from stored history: a spike right after the change is flagged', async () => {
    const found = await spikeAnomalies({});
    expect(found.map((a) => a.start)).toEqual([T0 + 305_000]);
  }, 60_000);

  it('with models.warmStartPoints 0 the new pipeline sits out its probation: the spike passes', async () => {
    const found = await spikeAnomalies({ models: { warmStartPoints: 0 } });
    expect(found).toEqual([]);
  }, 60_000);
});
