/**
 * Served models scaled out, with a real MLflow tracking server as the registry and real
 * PostgreSQL, Kafka, InfluxDB and Redis: a `vigil api`, a `vigil processor` and a `vigil
 * detector` started in this process. The detector loads the model's @production version at start
 * and its anomalies carry it; an alias move in MLflow switches it within a poll; with MLflow
 * unreachable (the detector reaches it through a TCP relay this test cuts) it keeps scoring with
 * the loaded version, and once MLflow answers again it picks up the alias moved meanwhile
 * (rollback). Live metrics per version land in MLflow runs tagged with the model and version.
 *
 * Prints the switch latency: alias move in MLflow → the detector's engines run the new version.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMlflowModelRegistry } from '../../src/adapters/mlflow/index.ts';
import { startApi } from '../../src/app/api.ts';
import { startDetector } from '../../src/app/detector.ts';
import { startProcessor } from '../../src/app/processor.ts';
import { validateConfig } from '../../src/config/load.ts';
import { encodeModelSpec, MODEL_FILE, type ModelSpec } from '../../src/core/models/model.ts';
import type { ModelRegistry } from '../../src/ports/model-registry.ts';
import { eventually } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

const run = `t${randomBytes(4).toString('hex')}`;
const MODEL = `ms-${run}`;
// The default: the latency printed is what a deployment with default settings sees.
const POLL_MS = 5000;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const SERIES = [
  { metric: 'msc', tags: { host: 'a' } },
  { metric: 'msd', tags: { host: 'a' } },
];

const ewma = (name: string, threshold: number) => ({
  name,
  detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
  calibration: { name: 'none' },
  threshold,
  postRules: [],
});
const filesOf = (pipeline: string) => {
  const spec: ModelSpec = {
    format: 'vigil-model',
    formatVersion: 1,
    name: MODEL,
    selector: '{__name__="msc"}',
    pipeline: ewma(pipeline, 0.99),
  };
  return new Map([[MODEL_FILE, encodeModelSpec(spec)]]);
};

/** A TCP relay to MLflow: the detector's only way there, so closing it is an outage. */
class Relay {
  readonly #target: { host: string; port: number };
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(url: string) {
    const u = new URL(url);
    this.#target = { host: u.hostname, port: Number(u.port) };
  }

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.#server === undefined ? resolve() : this.#server.close(() => resolve()),
    );
    this.#server = undefined;
  }
}

let api: Awaited<ReturnType<typeof startApi>>;
let processor: Awaited<ReturnType<typeof startProcessor>>;
let detector: Awaited<ReturnType<typeof startDetector>>;
let registry: ModelRegistry;
let relay: Relay;
let mlflowUrl = '';
let next = 0;

/** `n` points per series: flat around 10, the last one a spike to 100; resolves with its ts. */
async function ingest(n: number): Promise<number> {
  const points = [];
  for (let k = 0; k < n; k++, next++) {
    const value = k === n - 1 ? 100 : 10 + Math.sin(next) * 0.5;
    for (const s of SERIES) points.push({ ...s, ts: T0 + next * 1000, value });
  }
  const r = await fetch(`${api.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
  return T0 + (next - 1) * 1000;
}

interface AnomalyOut {
  series: string;
  start: number;
  detector: string;
  model?: { name: string; version: string };
}

/** The anomaly of `series` starting at `start`, once the detector stored it. */
async function anomalyAt(series: string, start: number): Promise<AnomalyOut> {
  return eventually(async () => {
    await detector.tasks.checkpointAll();
    const r = await fetch(`${api.url}/api/v1/anomalies?limit=100&from=${start}`);
    const list = ((await r.json()) as { anomalies: AnomalyOut[] }).anomalies;
    return list.find((a) => a.series === series && a.start === start);
  }, 60_000);
}

/** The version the detector's engines were last handed for the model (undefined: none yet). */
const served = () => [...(detector.models.poll.current?.values() ?? [])][0]?.model.version;

beforeAll(async () => {
  mlflowUrl = service('mlflow').VIGIL_MLFLOW_URL!;
  registry = await openMlflowModelRegistry({ url: mlflowUrl, experiment: run });
  await registry.createVersion(MODEL, filesOf('msv1'));
  await registry.setAlias(MODEL, 'production', '1');
  relay = new Relay(mlflowUrl);
  await relay.open();
  const pg = service('postgres');
  const config = validateConfig({
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    engine: {
      checkpointIntervalMs: 100,
      configPollMs: 200,
      allowedLatenessMs: 86_400_000,
      pipeline: ewma('default-p', 0.999),
    },
    kafka: { brokers: service('kafka').VIGIL_KAFKA_BROKERS!, topicPrefix: `vigil-${run}`, partitions: 2 },
    postgres: { url: pg.VIGIL_PG_URL!, schema: run },
    influx: { url: service('influxdb').VIGIL_INFLUX_URL!, database: run },
    redis: { nodes: service('redis').VIGIL_REDIS_NODES!, keyPrefix: `${run}:` },
    models: {
      registry: 'mlflow',
      mlflowUrl: `http://127.0.0.1:${relay.port}`,
      experiment: run,
      // MLflow is shared by every test: serve this test's model only.
      serve: [MODEL],
      pollMs: POLL_MS,
      liveMetricsMs: 1000,
      warmStartPoints: 0,
    },
  });
  api = await startApi(config);
  processor = await startProcessor(config);
  detector = await startDetector(config);
}, 240_000);

afterAll(async () => {
  for (const role of [api, processor, detector]) await role?.close();
  await relay?.close();
  await registry?.close();
}, 60_000);

describe('served models, scaled out with MLflow', () => {
  it('the detector scores with @production from the start; anomalies carry the version', async () => {
    // A new series gets its model at the next poll after the catalog has it (docs/models.md).
    await ingest(1);
    await eventually(async () => (detector.models.poll.current?.size ?? 0) === 1, 30_000);
    expect(served()).toBe('1');
    const spike = await ingest(30);
    expect(await anomalyAt('msc{host="a"}', spike)).toMatchObject({
      detector: 'msv1',
      model: { name: MODEL, version: '1' },
    });
    const plain = await anomalyAt('msd{host="a"}', spike);
    expect(plain.detector).toBe('default-p');
    expect(plain.model).toBeUndefined();
  }, 120_000);

  it('switches within a poll of an alias move in MLflow', async () => {
    await registry.createVersion(MODEL, filesOf('msv2'));
    const moved = performance.now();
    await registry.setAlias(MODEL, 'production', '2');
    await eventually(async () => served() === '2', 30_000);
    const latency = performance.now() - moved;
    const spike = await ingest(30);
    expect(await anomalyAt('msc{host="a"}', spike)).toMatchObject({
      detector: 'msv2',
      model: { version: '2' },
    });
    console.log(
      `switch latency (MLflow alias move -> detector engines switched, models.pollMs ${POLL_MS}): ${latency.toFixed(0)} ms`,
    );
  }, 120_000);

  it('MLflow unreachable: keeps scoring with the loaded version; reloads the version moved meanwhile when it returns', async () => {
    await relay.close();
    const errors = detector.models.poll.stats.registryErrors;
    await eventually(async () => detector.models.poll.stats.registryErrors > errors, 60_000);
    // Rollback during the outage: only a reachable MLflow can tell the detector.
    await registry.setAlias(MODEL, 'production', '1');
    let spike = await ingest(30);
    expect(await anomalyAt('msc{host="a"}', spike)).toMatchObject({
      detector: 'msv2',
      model: { version: '2' },
    });
    expect(served()).toBe('2');
    await relay.open();
    await eventually(async () => served() === '1', 60_000);
    spike = await ingest(30);
    expect(await anomalyAt('msc{host="a"}', spike)).toMatchObject({
      detector: 'msv1',
      model: { version: '1' },
    });
  }, 180_000);

  it('logs live metrics per version to MLflow runs tagged with the model and version', async () => {
    await detector.models.live?.tick();
    const exp = (await (
      await fetch(`${mlflowUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=${run}`)
    ).json()) as { experiment: { experiment_id: string } };
    const found = (await (
      await fetch(`${mlflowUrl}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          experiment_ids: [exp.experiment.experiment_id],
          filter: `tags.model = '${MODEL}' AND tags.role = 'detector'`,
        }),
      })
    ).json()) as {
      runs?: { data: { tags: { key: string; value: string }[]; metrics?: { key: string }[] } }[];
    };
    const runs = found.runs ?? [];
    const versions = runs.map((r) => r.data.tags.find((t) => t.key === 'version')?.value);
    expect(versions).toEqual(expect.arrayContaining(['1', '2']));
    const keys = runs.flatMap((r) => (r.data.metrics ?? []).map((m) => m.key));
    expect(keys).toEqual(expect.arrayContaining(['anomalies_opened', 'series']));
  }, 60_000);
});
