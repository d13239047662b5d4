/**
 * Maintenance windows on a real embedded server: a `kind: 'maintenance'` silence created through
 * the API makes the engine score the covered series' points without learning from them; the
 * points are stored, none is flagged, and a level shift inside the window is still flagged once
 * the window is over. The same shift on a series it does not cover (a control series, and the
 * same series name of another tenant) is learnt as normal. /metrics counts the paused points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

// The window runs from about now for 100 s: windows are read while they have not ended.
const T0 = Math.floor(Date.now() / 1000) * 1000 - 100_000;
const SERIES = { metric: 'mw_cpu', tags: { host: 'a' } };
const CONTROL = { metric: 'mw_ctl', tags: { host: 'a' } };
let server: TestServer;

/** Level 10 before point 100, then a level shift to 50 that lasts. */
const points = (s: { metric: string; tags: Record<string, string> }, from: number, to: number) =>
  Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { ...s, ts: T0 + i * 1000, value: (i < 100 ? 10 : 50) + Math.sin(i) * 0.5 };
  });

async function json(path: string, init?: RequestInit) {
  const r = await fetch(`${server.url}${path}`, init);
  const text = await r.text();
  return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

async function ingest(from: number, to: number): Promise<void> {
  const before = server.engine.stats.pointsScored;
  const body = { points: [...points(SERIES, from, to), ...points(CONTROL, from, to)] };
  const r = await json('/api/v1/points', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(r.status).toBe(204);
  await server.ingest.ingest(points(SERIES, from, to), undefined, undefined, 'acme');
  await eventually(async () => server.engine.stats.pointsScored === before + 3 * (to - from));
}

type Point = { ts: number; anomalous: boolean };
async function pointsOf(metric: string, from: number, to: number): Promise<Point[]> {
  const key = encodeURIComponent(`${metric}{host="a"}`);
  const r = await json(`/api/v1/points?series=${key}&from=${T0 + from * 1000}&to=${T0 + to * 1000}`);
  expect(r.status).toBe(200);
  return r.body.points as Point[];
}

beforeAll(async () => {
  server = await startTestServer({
    engine: {
      pipeline: {
        detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
        calibration: { name: 'none' },
        threshold: 0.999,
        postRules: [],
      },
    },
  });
});
afterAll(async () => {
  await server?.dispose();
});

describe('maintenance windows, embedded', () => {
  it('a window created through the API pauses learning of the series it covers only', async () => {
    await ingest(0, 100);
    const created = await json('/api/v1/silences', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        match: 'mw_cpu{host="a"}',
        startsAt: T0 + 100_000,
        endsAt: T0 + 200_000,
        kind: 'maintenance',
        comment: 'planned migration',
      }),
    });
    expect(created.status).toBe(201);
    expect([...server.maintenance.current.values()]).toEqual([
      [{ id: created.body.id, startsAt: T0 + 100_000, endsAt: T0 + 200_000 }],
    ]);
    // The series' config shows the window, in force now (it began at about the test's start).
    const config = await json(`/api/v1/series/config?series=${encodeURIComponent('mw_cpu{host="a"}')}`);
    expect(config.body.maintenance).toEqual({
      learningPaused: true,
      windows: [{ id: created.body.id, startsAt: T0 + 100_000, endsAt: T0 + 200_000 }],
    });
    const control = await json(`/api/v1/series/config?series=${encodeURIComponent('mw_ctl{host="a"}')}`);
    expect(control.body.maintenance).toBeUndefined();
    await ingest(100, 210);

    const inWindow = await pointsOf('mw_cpu', 100, 200);
    expect(inWindow).toHaveLength(100);
    expect(inWindow.filter((p) => p.anomalous)).toEqual([]);
    // Not learnt: the shift is still a shift once the window is over.
    expect((await pointsOf('mw_cpu', 200, 201))[0]!.anomalous).toBe(true);
    const anomalies = (await json('/api/v1/anomalies?series=mw_cpu%7Bhost%3D%22a%22%7D')).body.anomalies as {
      start: number;
    }[];
    expect(anomalies.map((a) => a.start)).toEqual([T0 + 200_000]);

    // The control series learnt the shift: flagged when it came, normal 100 points later.
    expect((await pointsOf('mw_ctl', 100, 101))[0]!.anomalous).toBe(true);
    expect((await pointsOf('mw_ctl', 200, 201))[0]!.anomalous).toBe(false);

    // 100 points paused: those of mw_cpu in the window, none of the control or of tenant acme.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^vigil_points_learning_paused_total 100$/m);
  });

  it('deleting the window hands the engine an empty set', async () => {
    const list = (await json('/api/v1/silences')).body.silences as { id: string }[];
    expect((await json(`/api/v1/silences/${list[0]!.id}`, { method: 'DELETE' })).status).toBe(204);
    expect(server.maintenance.current.size).toBe(0);
  });
});
