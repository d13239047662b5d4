/**
 * Feedback scaled out, on real PostgreSQL, Kafka, InfluxDB and Redis: a `vigil api`, a `vigil
 * processor` and a `vigil detector` started in this process. A spike is flagged; `not_anomaly`
 * feedback posted through the API reaches the detector at its poll: its pipeline's feedback stage
 * holds the label and the same spike passes unflagged (a control series without feedback still
 * flags it). Removing the label (DELETE) reaches it too: the spike is flagged again. Incident
 * feedback labels the members of an incident in the PostgreSQL alerting store; bad bodies, unknown
 * anomalies and incidents are refused as embedded. Deleting the series deletes its labels.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgAlertingStore, PgPools } from '../../src/adapters/postgres/index.ts';
import { startApi } from '../../src/app/api.ts';
import { startDetector } from '../../src/app/detector.ts';
import { startProcessor } from '../../src/app/processor.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Incident } from '../../src/core/alerting/incident.ts';
import { partitionOf } from '../../src/core/partitioner.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

const run = `fb${randomBytes(4).toString('hex')}`;
const PARTITIONS = 2;
const SPIKE = 500;
const T0 = Date.now() - 3_600_000;

let api: Awaited<ReturnType<typeof startApi>>;
let processor: Awaited<ReturnType<typeof startProcessor>>;
let detector: Awaited<ReturnType<typeof startDetector>>;
let pools: PgPools;
let accepted = 0;

beforeAll(async () => {
  const pg = service('postgres');
  const config = validateConfig({
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    engine: {
      checkpointIntervalMs: 100,
      configPollMs: 200,
      allowedLatenessMs: 86_400_000,
      // ewma's raw score (no calibration) flags every such spike; the feedback stage ends the pipeline.
      pipeline: {
        detector: { name: 'ewma' },
        calibration: { name: 'none' },
        postRules: [{ name: 'feedback' }],
      },
    },
    kafka: {
      brokers: service('kafka').VIGIL_KAFKA_BROKERS!,
      topicPrefix: `vigil-${run}`,
      partitions: PARTITIONS,
    },
    postgres: { url: pg.VIGIL_PG_URL!, schema: run },
    influx: { url: service('influxdb').VIGIL_INFLUX_URL!, database: run },
    redis: { nodes: service('redis').VIGIL_REDIS_NODES!, keyPrefix: `${run}:` },
  });
  api = await startApi(config);
  processor = await startProcessor(config);
  detector = await startDetector(config);
  pools = new PgPools({ url: pg.VIGIL_PG_URL!, schema: run, poolSize: 2 });
}, 180_000);

afterAll(async () => {
  for (const role of [api, processor, detector]) await role?.close();
  await pools?.close();
}, 60_000);

interface Body {
  [field: string]: unknown;
  points: { anomalous: boolean }[];
  anomalies: { id: string; start: number }[];
  feedback: { id: string; anomaly: string; label: string }[];
  id: string;
  code: string;
  field: string;
}

async function json(path: string, init?: RequestInit): Promise<{ status: number; body: Body }> {
  const r = await fetch(`${api.url}${path}`, init);
  const text = await r.text();
  return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Body };
}

const post = (path: string, body: unknown) =>
  json(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** 200 points from `from` of a gentle wave with one spike at `from + 150`, scored and stored. */
async function wave(metrics: string[], from: number): Promise<number> {
  const points = metrics.flatMap((metric) =>
    Array.from({ length: 200 }, (_, k) => {
      const i = from + k;
      return { metric, ts: T0 + i * 1000, value: k === 150 ? SPIKE : 10 + Math.sin(i / 5) + (i % 7) * 0.05 };
    }),
  );
  expect((await post('/api/v1/points', { points })).status).toBe(204);
  accepted += points.length;
  await eventually(async () => detector.tasks.stats().pointsAccepted >= accepted, 60_000);
  // Twice: a checkpoint already running may have started before the last points were scored.
  await detector.tasks.checkpointAll();
  await detector.tasks.checkpointAll();
  return T0 + (from + 150) * 1000;
}

async function flagged(metric: string, ts: number): Promise<boolean> {
  const p = await json(`/api/v1/points?series=${metric}&from=${ts}&to=${ts + 1}`);
  expect(p.body.points).toHaveLength(1);
  return p.body.points[0]!.anomalous;
}

/** The label ids the detector's running pipeline of `metric` holds (its feedback stage's state). */
function learnt(metric: string, seriesId: number): string[] | undefined {
  const task = detector.tasks.task(partitionOf(metric, PARTITIONS));
  const stage = task?.postRuleStates(seriesId)?.find((s) => s.stage === 'feedback');
  return (stage?.data as { examples: { id: string }[] } | undefined)?.examples.map((e) => e.id);
}

const same = (a: string[] | undefined, b: string[]) => JSON.stringify(a) === JSON.stringify(b);

const count = async (table: string, seriesId: number) =>
  Number(
    (await pools.primary('test', `SELECT count(*) AS n FROM ${table} WHERE series_id = $1`, [seriesId]))[0]!
      .n,
  );

describe('feedback scaled out (vigil api + vigil detector)', () => {
  let anomaly = '';
  let seriesId = 0;
  let feedbackId = '';

  it('a label posted through vigil api reaches the detector: the repeated spike is not flagged', async () => {
    const first = await wave(['fbs_cpu', 'fbs_ctl'], 0);
    expect(await flagged('fbs_cpu', first)).toBe(true);
    const a = (await json('/api/v1/anomalies?series=fbs_cpu')).body.anomalies.find((x) => x.start === first);
    expect(a).toBeDefined();
    anomaly = a!.id;
    seriesId = Number(anomaly.split('-')[0]);
    expect(learnt('fbs_cpu', seriesId)).toEqual([]);

    const fb = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'not_anomaly', note: 'deploy' });
    expect(fb.status).toBe(201);
    expect(fb.body).toMatchObject({ anomaly, series: 'fbs_cpu', label: 'not_anomaly', note: 'deploy' });
    feedbackId = fb.body.id;
    await eventually(async () => same(learnt('fbs_cpu', seriesId), [feedbackId]), 30_000);

    const second = await wave(['fbs_cpu', 'fbs_ctl'], 200);
    expect(await flagged('fbs_ctl', second)).toBe(true);
    expect(await flagged('fbs_cpu', second)).toBe(false);
    expect((await json('/api/v1/feedback?series=fbs_cpu')).body.feedback.map((f) => f.id)).toEqual([
      feedbackId,
    ]);
  });

  it('labels the members of an incident stored in PostgreSQL; refuses bad input as embedded', async () => {
    const ctl = (await json('/api/v1/anomalies?series=fbs_ctl')).body.anomalies[0]!;
    const alerting = new PgAlertingStore(pools);
    const member = { id: ctl.id, tenant: 'default', seriesKey: 'fbs_ctl', metric: 'fbs_ctl', tags: {} };
    await alerting.putIncidents([
      {
        id: 'inc-1',
        tenant: 'default',
        rule: 'r',
        group: {},
        status: 'resolved',
        severity: 'warning',
        startsAt: ctl.start,
        lastActivityAt: ctl.start,
        openedMs: ctl.start,
        updatedMs: ctl.start,
        members: [
          {
            ...member,
            start: ctl.start,
            end: ctl.start,
            open: false,
            peakScore: 1,
            peakValue: SPIKE,
            peakExpected: 10,
            direction: 'up',
            severity: 'warning',
          },
        ],
        droppedMembers: 0,
        timeline: [],
        rootCauses: [],
      } satisfies Incident,
    ]);
    const inc = await post('/api/v1/incidents/inc-1/feedback', { label: 'anomaly' });
    expect(inc.status).toBe(201);
    expect(inc.body.feedback.map((f) => [f.anomaly, f.label])).toEqual([[ctl.id, 'anomaly']]);
    expect((await post('/api/v1/incidents/nope/feedback', { label: 'anomaly' })).status).toBe(404);

    const bad = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'VIGIL_ERR_BAD_REQUEST', field: 'body.label' });
    for (const id of ['999999-1', 'nope', `${seriesId}-1`]) {
      const r = await post(`/api/v1/anomalies/${id}/feedback`, { label: 'anomaly' });
      expect(r.status, id).toBe(404);
      expect(r.body.code).toBe('VIGIL_ERR_NOT_FOUND');
    }
  });

  it('DELETE of the label reaches the detector: the spike is flagged again', async () => {
    expect((await json(`/api/v1/feedback/${feedbackId}`, { method: 'DELETE' })).status).toBe(204);
    expect((await json(`/api/v1/feedback/${feedbackId}`, { method: 'DELETE' })).status).toBe(404);
    await eventually(async () => same(learnt('fbs_cpu', seriesId), []), 30_000);
    const third = await wave(['fbs_cpu'], 400);
    expect(await flagged('fbs_cpu', third)).toBe(true);
  });

  it('deleting a series deletes its labels', async () => {
    const fb = await post(`/api/v1/anomalies/${anomaly}/feedback`, { label: 'expected' });
    expect(fb.status).toBe(201);
    expect(await count('feedback', seriesId)).toBe(1);
    expect((await json('/api/v1/series?series=fbs_cpu', { method: 'DELETE' })).status).toBe(200);
    expect(await count('feedback', seriesId)).toBe(0);
    expect(await count('feedback_series', seriesId)).toBe(0);
    const left = (await json('/api/v1/feedback')).body.feedback;
    expect(left.map((f) => f.anomaly.split('-')[0])).not.toContain(String(seriesId));
    expect(left).toHaveLength(1);
  });
});
