/**
 * Tenant A's key against tenant B's objects, on every operation of the OpenAPI document (so a
 * route added later is walked the day it is added): each is called with A's key holding every
 * scope, aimed at B's series, config and keys by the names B's clients use. Afterwards nothing
 * A received mentions B's data, and B's points, config and keys are as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES } from '../../src/core/api-key.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let s: TestServer;
const T = Date.UTC(2026, 0, 1);
// B's series: the tag value is a marker no answer to A may contain.
const SECRET = 'only-b-sees-this';
const B_KEY = `cpu{host="${SECRET}"}`;
let keyA = '';
let keyB = '';
let bKeyId = '';
let bSilenceId = '';
/** B's alert rule: A's changes to a rule of this name must land in A's own rules. */
const B_RULE = 'rule-of-b';
let bAnomalyId = '';
let bFeedbackId = '';

const post = (key: string, path: string, body: string, ct = 'application/json') =>
  fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': ct },
    body,
  });

async function snapshotOfB() {
  const h = { authorization: `Bearer ${keyB}` };
  const q = encodeURIComponent(B_KEY);
  const points = await (
    await fetch(`${s.url}/api/v1/points?series=${q}&maxPoints=100000`, { headers: h })
  ).json();
  const config = await (await fetch(`${s.url}/api/v1/series/config?series=${q}`, { headers: h })).json();
  const series = await (await fetch(`${s.url}/api/v1/series`, { headers: h })).json();
  const keys = await (await fetch(`${s.url}/api/v1/keys`, { headers: h })).json();
  const rules = await (await fetch(`${s.url}/api/v1/alert-rules`, { headers: h })).json();
  const silences = await (await fetch(`${s.url}/api/v1/silences`, { headers: h })).json();
  const feedback = await (await fetch(`${s.url}/api/v1/feedback`, { headers: h })).json();
  return { points, config, series, keys, rules, silences, feedback };
}

beforeAll(async () => {
  s = await startTestServer({ auth: { mode: 'keys' } });
  keyA = (await s.keys.create({ tenant: 'tenant-a', scopes: [...SCOPES] })).key;
  const b = await s.keys.create({ tenant: 'tenant-b', scopes: [...SCOPES] });
  keyB = b.key;
  bKeyId = b.info.id;
  const points = Array.from({ length: 30 }, (_, i) => ({
    metric: 'cpu',
    tags: { host: SECRET },
    ts: T + i * 60_000,
    value: i === 25 ? 500 : 10 + (i % 3),
  }));
  // The first point creates B's series; its pipeline then flags the spike, and B labels it.
  expect((await post(keyB, '/api/v1/points', JSON.stringify({ points: points.slice(0, 1) }))).status).toBe(
    204,
  );
  await eventually(async () => s.engine.stats.pointsScored === 1);
  const config = await fetch(`${s.url}/api/v1/series/config?series=${encodeURIComponent(B_KEY)}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${keyB}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      pipeline: {
        detector: { name: 'ewma' },
        calibration: { name: 'none' },
        postRules: [{ name: 'feedback' }],
      },
    }),
  });
  expect(config.status).toBe(200);
  expect((await post(keyB, '/api/v1/points', JSON.stringify({ points: points.slice(1) }))).status).toBe(204);
  await eventually(async () => s.engine.stats.pointsScored === 30);
  const anomalies = await fetch(`${s.url}/api/v1/anomalies?series=${encodeURIComponent(B_KEY)}`, {
    headers: { authorization: `Bearer ${keyB}` },
  });
  bAnomalyId = ((await anomalies.json()) as { anomalies: { id: string }[] }).anomalies[0]!.id;
  const label = await post(keyB, `/api/v1/anomalies/${bAnomalyId}/feedback`, '{"label":"not_anomaly"}');
  expect(label.status).toBe(201);
  bFeedbackId = ((await label.json()) as { id: string }).id;
  const rule = { name: B_RULE, match: `cpu{host="${SECRET}"}`, annotations: { note: SECRET } };
  expect((await post(keyB, '/api/v1/alert-rules', JSON.stringify(rule))).status).toBe(201);
  const silence = {
    match: `{host="${SECRET}"}`,
    startsAt: 0,
    endsAt: Date.now() + 86_400_000,
    comment: SECRET,
  };
  const created = await post(keyB, '/api/v1/silences', JSON.stringify(silence));
  expect(created.status).toBe(201);
  bSilenceId = ((await created.json()) as { id: string }).id;
});
afterAll(async () => {
  await s?.dispose();
});

/** A request for `method path` aimed at B's objects, with what such a route takes. */
function aimedAtB(method: string, path: string): { url: string; body?: string; ct?: string } {
  const q = `series=${encodeURIComponent(B_KEY)}&match=${encodeURIComponent(`{host="${SECRET}"}`)}`;
  // `{id}` names B's object of the route: its silence, anomaly or label, else its key.
  const id = path.startsWith('/api/v1/silences')
    ? bSilenceId
    : path.startsWith('/api/v1/anomalies/')
      ? bAnomalyId
      : path.startsWith('/api/v1/feedback/')
        ? bFeedbackId
        : bKeyId;
  const url = `${path.replace('{id}', id).replace('{name}', B_RULE)}?${q}&maxPoints=100000`;
  // Deleting series takes one of series and match: the walk sends B's selector (B's key: above).
  if (method === 'DELETE' && path === '/api/v1/series')
    return { url: `${path}?match=${encodeURIComponent(`{host="${SECRET}"}`)}` };
  if (method === 'GET' || method === 'DELETE') return { url };
  if (path === '/api/v1/points') {
    return {
      url,
      body: JSON.stringify({
        points: [{ metric: 'cpu', tags: { host: SECRET }, ts: T + 3_600_000, value: 1 }],
      }),
    };
  }
  if (path === '/write')
    return { url: `/write?precision=ms`, body: `cpu,host=${SECRET} value=1 ${T}`, ct: 'text/plain' };
  if (path === '/api/v1/series/config') return { url, body: JSON.stringify({ threshold: 1 }) };
  if (path.startsWith('/api/v1/alert-rules'))
    return {
      url,
      body: JSON.stringify({ name: B_RULE, match: 'cpu', annotations: { note: 'changed by A' } }),
    };
  if (path === '/api/v1/silences')
    return { url, body: JSON.stringify({ match: '{host="x"}', startsAt: 0, endsAt: Date.now() + 60_000 }) };
  if (path.endsWith('/feedback')) return { url, body: JSON.stringify({ label: 'anomaly' }) };
  if (path === '/api/v1/keys')
    return { url, body: JSON.stringify({ tenant: 'tenant-b', scopes: ['admin'] }) };
  return { url, body: '{}' };
}

describe('tenant A against tenant B, every route', () => {
  it('reads nothing of B and changes nothing of B', async () => {
    const before = await snapshotOfB();
    expect(JSON.stringify(before.series)).toContain(SECRET);
    expect((before.points as { points: unknown[] }).points.length).toBe(30);

    const doc = (await (await fetch(`${s.url}/docs/json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    // Reads first: A holds nothing yet, so B's marker in any answer is a leak. Then deletes, while
    // A has no series of B's names (a delete must miss B's), then the other writes, aimed at B's
    // names (A's own writes land in A's series of the same name, checked below).
    const order = (method: string) => (method === 'GET' ? 0 : method === 'DELETE' ? 1 : 2);
    const ops = Object.entries(doc.paths)
      .flatMap(([path, o]) => Object.keys(o).map((m) => ({ path, method: m.toUpperCase() })))
      .sort((x, y) => order(x.method) - order(y.method));
    // Deleting B's series by its key: A has no series of that name yet, so nothing to delete.
    const byKey = await fetch(`${s.url}/api/v1/series?series=${encodeURIComponent(B_KEY)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keyA}` },
    });
    expect(byKey.status).toBe(404);
    let walked = 0;
    for (const { path, method } of ops) {
      {
        const req = aimedAtB(method, path);
        const r = await fetch(`${s.url}${req.url}`, {
          method,
          headers: {
            authorization: `Bearer ${keyA}`,
            ...(req.body !== undefined ? { 'content-type': req.ct ?? 'application/json' } : {}),
          },
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        const text = await r.text();
        // A refusal may echo the name A sent; an answer with data may not hold B's.
        if (method === 'GET' && r.status < 400) {
          expect(text, `${method} ${path} answered A with B's data`).not.toContain(SECRET);
        }
        expect(r.status, `${method} ${path}: ${text}`).toBeLessThan(500);
        // Before A writes anything: the selector must match none of B's series.
        if (method === 'DELETE' && path === '/api/v1/series')
          expect(JSON.parse(text)).toMatchObject({ series: 0 });
        walked++;
      }
    }
    expect(walked).toBeGreaterThanOrEqual(15);

    const after = await snapshotOfB();
    expect(after).toEqual(before);
    // A's own writes went to A's own series, of the same name.
    const own = await fetch(`${s.url}/api/v1/series`, { headers: { authorization: `Bearer ${keyA}` } });
    expect(((await own.json()) as { series: { key: string }[] }).series.map((x) => x.key)).toContain(B_KEY);
  });
});
