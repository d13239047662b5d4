/**
 * Warm start across a restart, scaled out, on real PostgreSQL, Kafka, InfluxDB and Redis: a
 * `vigil detector` checkpoints a series' state under one default pipeline; a detector started
 * with another one (an upgrade that changed a preset, or a changed `engine.pipeline`) gets the
 * partition, finds the saved state written under the other pipeline and primes the series from
 * the point store (InfluxDB) once it joined. The pipeline is an EWMA on probation for its first
 * 200 points, so a spike right after the restart is flagged only by a primed pipeline.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.ts';
import { startDetector } from '../../src/app/detector.ts';
import { startProcessor } from '../../src/app/processor.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

const run = `wsr${randomBytes(4).toString('hex')}`;
const T0 = Date.now() - 3_600_000;
const config = (threshold: number) => {
  const pg = service('postgres');
  return validateConfig({
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    engine: {
      checkpointIntervalMs: 100,
      allowedLatenessMs: 86_400_000,
      pipeline: {
        detector: { name: 'ewma', params: { alpha: 0.05, bandSigmas: 4, warmup: 200 } },
        calibration: { name: 'none' },
        threshold,
        postRules: [],
      },
    },
    kafka: { brokers: service('kafka').VIGIL_KAFKA_BROKERS!, topicPrefix: `vigil-${run}`, partitions: 1 },
    postgres: { url: pg.VIGIL_PG_URL!, schema: run },
    influx: { url: service('influxdb').VIGIL_INFLUX_URL!, database: run },
    redis: { nodes: service('redis').VIGIL_REDIS_NODES!, keyPrefix: `${run}:` },
  });
};

let api: Awaited<ReturnType<typeof startApi>>;
let processor: Awaited<ReturnType<typeof startProcessor>>;
let detector: Awaited<ReturnType<typeof startDetector>> | undefined;

beforeAll(async () => {
  const first = config(0.999);
  api = await startApi(first);
  processor = await startProcessor(first);
  detector = await startDetector(first);
}, 180_000);

afterAll(async () => {
  for (const role of [api, processor, detector]) await role?.close();
}, 60_000);

async function post(points: { ts: number; value: number }[]): Promise<void> {
  const r = await fetch(`${api.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points: points.map((p) => ({ metric: 'wsr_cpu', ...p })) }),
  });
  expect(r.status).toBe(204);
}

describe('warm start after a restart under another default pipeline, scaled out', () => {
  it('the new detector primes the series from the point store: a spike right after is flagged', async () => {
    // 300 points of history, scored, stored and checkpointed under the first pipeline.
    await post(Array.from({ length: 300 }, (_, i) => ({ ts: T0 + i * 1000, value: 10 + Math.sin(i / 3) })));
    await eventually(async () => detector!.tasks.stats().pointsAccepted >= 300, 60_000);
    await eventually(async () => {
      const r = await fetch(`${api.url}/api/v1/points?series=wsr_cpu&from=${T0}&to=${T0 + 300_000}`);
      return ((await r.json()) as { points: unknown[] }).points.length === 300;
    }, 60_000);
    await detector!.tasks.checkpointAll();
    await detector!.tasks.checkpointAll();
    await detector!.close();

    detector = await startDetector(config(0.998));
    const spikeTs = T0 + 305_000;
    await post([
      { ts: T0 + 300_000, value: 10 },
      { ts: spikeTs, value: 100 },
      { ts: T0 + 310_000, value: 10 },
    ]);
    await eventually(async () => detector!.tasks.stats().pointsAccepted >= 3, 60_000);
    const flagged = await eventually(async () => {
      const r = await fetch(`${api.url}/api/v1/points?series=wsr_cpu&from=${spikeTs}&to=${spikeTs + 1}`);
      const points = ((await r.json()) as { points: { anomalous: boolean }[] }).points;
      return points.length === 1 ? points : undefined;
    }, 60_000);
    expect(flagged[0]!.anomalous).toBe(true);
  }, 180_000);
});
