/**
 * Feedback on a real embedded server: a spike is flagged; `not_anomaly` feedback on it makes the
 * same spike pass unflagged (a control series without feedback still flags it); the learned label
 * shows in GET /api/v1/series/config (`learned`); removing the feedback makes the spike flagged
 * again. Labels survive a restart, and bad bodies and unknown anomalies are refused. Deleting a
 * series deletes its labels, also those a crash left behind (deleted at the next start).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteFeedback } from '../../src/adapters/sqlite/index.ts';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually } from '../helpers/embedded.ts';

const T0 = Date.UTC(2026, 0, 1);
const SPIKE = 500;
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-feedback-'));
let server: EmbeddedServer | undefined;

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

// ewma's raw score (no calibration) flags every such spike; the feedback stage ends the pipeline.
const start = () =>
  startEmbedded(
    validateConfig({
      dataDir,
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      engine: {
        checkpointIntervalMs: 50,
        pipeline: {
          detector: { name: 'ewma' },
          calibration: { name: 'none' },
          postRules: [{ name: 'feedback' }],
        },
      },
    }),
  );

const q = (key: string) => encodeURIComponent(key);

/** The JSON answers these tests read: a few fields of the API's bodies. */
interface Body {
  [field: string]: unknown;
  total: number;
  points: { anomalous: boolean }[];
  anomalies: { id: string; start: number }[];
  feedback: { id: string; anomaly: string }[];
  learned: { stage: string; data: { examples: { id: string; label: string; peakValue: number }[] } }[];
  id: string;
  code: string;
  field: string;
}

async function json(path: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const r = await fetch(`${server!.url}${path}`, init);
  const text = await r.text();
  return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Body };
}

function post(path: string, body: unknown) {
  return json(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** 200 points from `from` of a gentle wave with one spike at `from + 150`, into each series. */
async function wave(metrics: string[], from: number): Promise<number> {
  const points = metrics.flatMap((metric) =>
    Array.from({ length: 200 }, (_, k) => {
      const i = from + k;
      return { metric, ts: T0 + i * 1000, value: k === 150 ? SPIKE : 10 + Math.sin(i / 5) + (i % 7) * 0.05 };
    }),
  );
  expect((await post('/api/v1/points', { points })).status).toBe(204);
  const spikeTs = T0 + (from + 150) * 1000;
  for (const m of metrics) {
    await eventually(async () => {
      const p = await json(`/api/v1/points?series=${q(m)}&from=${T0 + (from + 199) * 1000}&maxPoints=10`);
      return p.body.total === 1;
    });
  }
  return spikeTs;
}

async function flagged(metric: string, ts: number): Promise<boolean> {
  const p = await json(`/api/v1/points?series=${q(metric)}&from=${ts}&to=${ts + 1}`);
  expect(p.body.points).toHaveLength(1);
  return p.body.points[0]!.anomalous;
}

async function learned(metric: string) {
  const c = await json(`/api/v1/series/config?series=${q(metric)}`);
  expect(c.status).toBe(200);
  return c.body.learned.find((s) => s.stage === 'feedback')!.data.examples;
}

describe('feedback changes detection', () => {
  let anomaly = '';
  let feedbackId = '';

  it('a spike labelled not_anomaly is no longer flagged; the control series still flags it', async () => {
    server = await start();
    const first = await wave(['fb_cpu', 'fb_ctl'], 0);
    expect(await flagged('fb_cpu', first)).toBe(true);
    const list = await json(`/api/v1/anomalies?series=fb_cpu`);
    const a = list.body.anomalies.find((x) => x.start === first);
    expect(a).toBeDefined();
    anomaly = a!.id;

    const fb = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'not_anomaly', note: 'deploy' });
    expect(fb.status).toBe(201);
    expect(fb.body).toMatchObject({
      anomaly,
      series: 'fb_cpu',
      label: 'not_anomaly',
      note: 'deploy',
      by: 'anonymous',
    });
    feedbackId = fb.body.id;
    expect((await learned('fb_cpu')).map((e) => [e.id, e.label, e.peakValue])).toEqual([
      [feedbackId, 'not_anomaly', SPIKE],
    ]);
    expect(await learned('fb_ctl')).toEqual([]);

    const second = await wave(['fb_cpu', 'fb_ctl'], 200);
    expect(await flagged('fb_ctl', second)).toBe(true);
    expect(await flagged('fb_cpu', second)).toBe(false);
  });

  it('lists the label, filtered by series and selector', async () => {
    const all = await json('/api/v1/feedback');
    expect(all.body.feedback).toEqual([
      expect.objectContaining({ id: feedbackId, anomaly, label: 'not_anomaly' }),
    ]);
    expect((await json(`/api/v1/feedback?series=fb_ctl`)).body.feedback).toEqual([]);
    expect((await json(`/api/v1/feedback?match=${q('{__name__=~"fb_c.*"}')}`)).body.feedback).toHaveLength(1);
  });

  it('survives a restart (stored, and set in the restored pipeline)', async () => {
    await server!.close();
    server = await start();
    expect((await json('/api/v1/feedback')).body.feedback).toHaveLength(1);
    const third = await wave(['fb_cpu'], 400);
    expect(await flagged('fb_cpu', third)).toBe(false);
  });

  it('DELETE undoes it: the pipeline forgets the label and flags the spike again', async () => {
    const del = await json(`/api/v1/feedback/${feedbackId}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect((await json('/api/v1/feedback')).body.feedback).toEqual([]);
    expect(await learned('fb_cpu')).toEqual([]);
    const fourth = await wave(['fb_cpu'], 600);
    expect(await flagged('fb_cpu', fourth)).toBe(true);
    expect((await json(`/api/v1/feedback/${feedbackId}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a bad body naming the field, and an unknown anomaly with 404', async () => {
    const bad = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'body.label' });
    const missing = await post(`/api/v1/anomalies/${anomaly}/feedback`, { note: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.field).toBe('body.label');
    const extra = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'anomaly', colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.body.field).toBe('body.colour');
    for (const id of ['999-1', 'nope', `${anomaly.split('-')[0]}-1`]) {
      const r = await post(`/api/v1/anomalies/${id}/feedback`, { label: 'anomaly' });
      expect(r.status, id).toBe(404);
      expect(r.body.code).toBe('VIGIL_ERR_NOT_FOUND');
    }
  });

  it('deleting a series deletes its labels, also those a crash left behind', async () => {
    const list = await json(`/api/v1/anomalies?series=fb_ctl`);
    const [a, b] = list.body.anomalies;
    expect(b).toBeDefined();
    expect((await post(`/api/v1/anomalies/${a!.id}/feedback`, { label: 'expected' })).status).toBe(201);
    expect((await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'anomaly' })).status).toBe(201);
    const del = await json(`/api/v1/series?series=fb_ctl`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await json('/api/v1/feedback')).body.feedback.map((f) => f.anomaly)).toEqual([anomaly]);
    const ctl = Number(a!.id.split('-')[0]);
    await server!.close();
    // As if a crash came between the series' deletion (log.db) and its labels' (feedback.db).
    const store = openSqliteFeedback({ dataDir });
    expect(await store.forSeries(ctl, 10)).toEqual([]);
    await store.put([
      {
        id: 'left-behind',
        tenant: 'default',
        seriesId: ctl,
        anomalyStart: b!.start,
        label: 'not_anomaly',
        note: '',
        actor: 'anonymous',
        createdMs: Date.now(),
        peakValue: SPIKE,
        peakExpected: 10,
        peakScore: 1,
      },
    ]);
    await store.close();
    server = await start();
    expect((await json('/api/v1/feedback')).body.feedback.map((f) => f.anomaly)).toEqual([anomaly]);
    const after = openSqliteFeedback({ dataDir });
    expect(await after.forSeries(ctl, 10)).toEqual([]);
    expect(await after.labelledSeries()).not.toContain(ctl);
    await after.close();
  });
});
