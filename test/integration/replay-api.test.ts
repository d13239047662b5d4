/**
 * POST /api/v1/series/replay ("try it") on a real embedded server with auth.mode keys: a series
 * with one spike replayed with a sensitive and an insensitive pipeline raises different numbers of
 * anomalies, and the stored ones come back beside them; a read-only key may replay, and nothing
 * changes; an invalid pipeline is a 400 naming the field, as for PUT config; another tenant's
 * series is a 404; `maxPoints` replays the newest points only and is capped at REPLAY_MAX_POINTS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_MAX_POINTS } from '../../src/adapters/http/replay-routes.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const T0 = Date.UTC(2026, 0, 1);
const N = 2000;
const SPIKE_AT = 1500;
const STEP = 10_000;
const SERIES = encodeURIComponent('replay_cpu{host="a"}');

let s: TestServer;
let reader: string;
let other: string;
let ingestOnly: string;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

interface Replay {
  series: string;
  total: number;
  points: number;
  truncated: boolean;
  from?: number;
  to?: number;
  raised: number;
  anomalies: { start: number; end: number; peakScore: number; points: number }[];
  current: { id: string; start: number }[];
  pipeline: { detector: { name: string }; threshold: number };
}

async function replay(key: string, body: unknown, series = SERIES) {
  return s.app.inject({
    method: 'POST',
    url: `/api/v1/series/replay?series=${series}`,
    headers: bearer(key),
    payload: body as Record<string, unknown>,
  });
}

/** The raw ewma score against a threshold: low flags noise, high only the spike. */
const ewma = (threshold: number) => ({
  pipeline: { detector: { name: 'ewma' }, calibration: { name: 'none' }, threshold },
});

beforeAll(async () => {
  s = await startTestServer({ auth: { mode: 'keys' } });
  const writer = await s.keys.create({ tenant: 'team-r', scopes: ['ingest', 'read', 'configure'] });
  reader = (await s.keys.create({ tenant: 'team-r', scopes: ['read'] })).key;
  other = (await s.keys.create({ tenant: 'team-o', scopes: ['read', 'configure'] })).key;
  ingestOnly = (await s.keys.create({ tenant: 'team-r', scopes: ['ingest'] })).key;
  const points = Array.from({ length: N }, (_, i) => ({
    metric: 'replay_cpu',
    tags: { host: 'a' },
    ts: T0 + i * STEP,
    value: i === SPIKE_AT ? 500 : 10 + Math.sin(i / 5) + (i % 7) * 0.05,
  }));
  const r = await s.app.inject({
    method: 'POST',
    url: '/api/v1/points',
    headers: bearer(writer.key),
    payload: { points },
  });
  expect(r.statusCode, r.body).toBe(204);
  // Stored: the points are readable through the API (checkpointed or from memory).
  await eventually(async () => {
    const p = await s.app.inject({
      url: `/api/v1/points?series=${SERIES}&maxPoints=2`,
      headers: bearer(reader),
    });
    return p.statusCode === 200 && (p.json() as { total: number }).total === N;
  }, 30_000);
}, 60_000);

afterAll(async () => {
  await s?.dispose();
});

describe('POST /api/v1/series/replay', () => {
  it('a sensitive pipeline raises more anomalies than an insensitive one; the stored ones come beside', async () => {
    const before = await s.app.inject({
      url: `/api/v1/series/config?series=${SERIES}`,
      headers: bearer(reader),
    });
    const sensitive = await replay(reader, ewma(0.2));
    expect(sensitive.statusCode, sensitive.body).toBe(200);
    const loose = await replay(reader, ewma(0.999));
    expect(loose.statusCode, loose.body).toBe(200);
    const a = sensitive.json() as Replay;
    const b = loose.json() as Replay;
    for (const x of [a, b]) {
      expect(x.series).toBe('replay_cpu{host="a"}');
      expect(x).toMatchObject({ total: N, points: N, truncated: false, from: T0, to: T0 + (N - 1) * STEP });
      expect(x.raised).toBe(x.anomalies.length);
    }
    expect(a.pipeline.threshold).toBe(0.2);
    expect(a.raised).toBeGreaterThan(b.raised);
    // The insensitive pipeline still sees the spike: one of its runs covers it.
    const spike = T0 + SPIKE_AT * STEP;
    expect(b.raised).toBe(1);
    expect(b.anomalies[0]!.start).toBe(spike);
    // Newest first.
    for (let i = 1; i < a.anomalies.length; i++)
      expect(a.anomalies[i]!.start).toBeLessThan(a.anomalies[i - 1]!.start);
    // `current` is what the anomalies route holds for the series over the same span.
    const stored = await s.app.inject({
      url: `/api/v1/anomalies?series=${SERIES}&limit=10000`,
      headers: bearer(reader),
    });
    const ids = (stored.json() as { anomalies: { id: string }[] }).anomalies.map((x) => x.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(a.current.map((x) => x.id)).toEqual(ids);
    // Trying changed nothing.
    const after = await s.app.inject({
      url: `/api/v1/series/config?series=${SERIES}`,
      headers: bearer(reader),
    });
    expect(after.json()).toEqual(before.json());
  });

  it('takes the PUT shorthand and a range; from..to bounds what is replayed', async () => {
    const from = T0 + 1000 * STEP;
    const r = await replay(reader, { detector: 'ewma', from, to: T0 + 1600 * STEP });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({ total: 600, points: 600, from, to: T0 + 1599 * STEP });
    const iso = await replay(reader, { detector: 'ewma', from: new Date(from).toISOString() });
    expect((iso.json() as Replay).total).toBe(N - 1000);
  });

  it('an invalid pipeline is a 400 naming the field, as for PUT config', async () => {
    const bad = await replay(reader, ewma(5));
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ field: 'body.pipeline.threshold' });
    const unknown = await replay(reader, { pipeline: { detector: { name: 'nope' } } });
    expect(unknown.statusCode, unknown.body).toBe(400);
    expect((unknown.json() as { field: string }).field).toMatch(/^pipeline\.detector/);
    const mixed = await replay(reader, { ...ewma(0.5), threshold: 0.5 });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_PIPELINE', field: 'threshold' });
    const badTime = await replay(reader, { detector: 'ewma', from: 'yesterday' });
    expect(badTime.statusCode).toBe(400);
    expect(badTime.json()).toMatchObject({ field: 'from' });
    const extra = await replay(reader, { detector: 'ewma', seriesKey: 'x' });
    expect(extra.statusCode).toBe(400);
  });

  it("another tenant's series is a 404, and replaying needs the read scope", async () => {
    const r = await replay(other, ewma(0.5));
    expect(r.statusCode).toBe(404);
    expect(r.json()).toMatchObject({ code: 'VIGIL_ERR_NOT_FOUND', field: 'series' });
    const nope = await replay(ingestOnly, ewma(0.5));
    expect(nope.statusCode).toBe(403);
  });

  it('maxPoints replays the newest points only; more than REPLAY_MAX_POINTS is refused', async () => {
    const r = await replay(reader, { ...ewma(0.5), maxPoints: 100 });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      total: N,
      points: 100,
      truncated: true,
      from: T0 + (N - 100) * STEP,
      to: T0 + (N - 1) * STEP,
    });
    const tooMany = await replay(reader, { ...ewma(0.5), maxPoints: REPLAY_MAX_POINTS + 1 });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ field: 'body.maxPoints' });
  });
});
