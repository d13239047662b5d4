/**
 * Models in the reference deployment, end to end (issue 16's acceptance):
 * `npx node bench/models-cluster.ts [--keep]`. Prints figures and writes
 * bench/results/models-cluster.json; never gates on time.
 *
 * Brings up `npm run cluster` under its own name (Kafka ×3, PostgreSQL + replica, Redis Cluster,
 * InfluxDB, MLflow, 3 processors, 2 detectors, an alerter, 2 APIs behind nginx), then:
 *   1. ingests history of three series through nginx (a spike every few hundred points) and labels
 *      the anomalies the default pipeline raised at the spikes `anomaly`, one other `not_anomaly`;
 *   2. runs `vigil train` against nginx with the MLflow registry; reads the new version and the
 *      `production` alias back through MLflow's own REST API;
 *   3. times each switch: from the moment the alias has moved (train's exit, or our own alias call
 *      returning) until every detector's /metrics shows the version loaded
 *      (`vigil_model_loaded_info`), polled every 100 ms;
 *   4. after each switch, a fresh spike: the anomaly it raises must name the version now served;
 *   5. registers a second version, moves production to it, then rolls back to the first.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error: a plain ES module without types (scripts/cluster.mjs)
import { cluster } from '../scripts/cluster.mjs';
import { runVigil } from '../test/helpers/cli.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NAME = 'models-bench';
// Names of this run only, so that a run on a cluster kept up (--keep) starts from nothing.
const RUN = Date.now().toString(36);
const MODEL = `bench_models_${RUN}`;
const METRIC = `bench_models_cpu_${RUN}`;
const HOSTS = ['a', 'b', 'c'];
const N = 3000;
const MIN = 60_000;
// Four days back, whole minutes: inside the default retention (30 days), history ahead of the clock never.
const T0 = Math.floor(Date.now() / MIN) * MIN - 4 * 86_400_000;
const SPIKES = [1500, 2000, 2500];
const keep = process.argv.includes('--keep');

interface Proc {
  role: string;
  url: string;
  log: string;
}
interface State {
  nginx: string;
  env: Record<string, string>;
  procs: Proc[];
}
interface AnomalyRow {
  id: string;
  seriesId: number;
  start: number;
  model?: { name: string; version: string };
}

const log = (msg: string) => process.stderr.write(`[models-cluster] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const q = encodeURIComponent;

async function until<T>(
  what: string,
  ms: number,
  probe: () => Promise<T | undefined>,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await sleep(everyMs);
  }
}

const state = (await cluster(['up', '--name', NAME])) as State;
const API = state.nginx;
const MLFLOW = state.env.VIGIL_MLFLOW_URL!;
const detectors = state.procs.filter((p) => p.role === 'detector');
const env = { ...state.env, VIGIL_MODEL_REGISTRY: 'mlflow' };
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-models-bench-'));
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  loadAverageAtStart: loadavg().map((l) => Number(l.toFixed(1))),
  detectors: detectors.length,
  switches: [] as unknown[],
};

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`${API}${path}`, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (r.status === 204 ? undefined : await r.json()) as T;
}

async function mlflow<T>(path: string): Promise<T> {
  const r = await fetch(`${MLFLOW}/api/2.0/mlflow/${path}`);
  if (!r.ok) throw new Error(`MLflow ${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

async function post(points: { metric: string; tags: Record<string, string>; ts: number; value: number }[]) {
  for (let i = 0; i < points.length; i += 2000) {
    await api('/api/v1/points', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: points.slice(i, i + 2000) }),
    });
  }
}

const valueAt = (i: number, h: number) => 50 + 5 * Math.sin(i / 30) + ((i * 7919 + h * 31) % 13) * 0.1;

/** Every detector's loaded version of MODEL (undefined where none yet). */
async function loadedVersions(): Promise<(string | undefined)[]> {
  return Promise.all(
    detectors.map(async (d) => {
      const text = await (await fetch(`${d.url}/metrics`)).text();
      const m = new RegExp(
        `vigil_model_loaded_info\\{[^}]*model="${MODEL}"[^}]*version="([^"]+)"[^}]*\\} 1`,
      ).exec(text);
      return m?.[1];
    }),
  );
}

/** Waits until every detector serves `version`; returns ms since `since`. */
async function switchedAfter(version: string, since: number): Promise<number> {
  await until(
    `every detector loads ${MODEL} v${version}`,
    60_000,
    async () => {
      const v = await loadedVersions();
      return v.every((x) => x === version) ? true : undefined;
    },
    100,
  );
  return Date.now() - since;
}

/**
 * Waits until every detector that switched series since `since` has also primed them (its log's
 * "warm start done"): points that arrive while a detector reads the history are scored by the new
 * pipeline before its prime (docs/models.md, "Warm start"), so a probe sent then would measure a
 * cold pipeline. Returns ms since `since`.
 */
async function warmAfter(since: number): Promise<number> {
  const after = (d: Proc, msg: string) =>
    readFileSync(d.log, 'utf8')
      .split('\n')
      .filter((l) => l.includes(`"msg":"${msg}"`))
      .some((l) => (JSON.parse(l) as { time: number }).time >= since);
  await until('the switched series are primed', 120_000, async () =>
    detectors.every((d) => !after(d, 'series switched model version') || after(d, 'warm start done'))
      ? true
      : undefined,
  );
  return Date.now() - since;
}

let next = N;
let probes = 0;
/**
 * Ingests a probe on every host after the newest point: 200 points, on host a a spike at the 150th
 * larger than any before it (the default learns that spikes of one size recur and stops flagging
 * them); returns the anomaly it raised.
 */
async function spikeAnomaly(): Promise<AnomalyRow> {
  const from = next;
  const spikeAt = from + 150;
  const height = 200 * 2 ** probes++;
  const pts = HOSTS.flatMap((host, h) =>
    Array.from({ length: 200 }, (_, k) => ({
      metric: METRIC,
      tags: { host },
      ts: T0 + (from + k) * MIN,
      value: valueAt(from + k, h) + (host === 'a' && from + k === spikeAt ? height : 0),
    })),
  );
  next += 200;
  await post(pts);
  const key = `${METRIC}{host="a"}`;
  return until(
    'the spike is an anomaly',
    90_000,
    async () => {
      const r = await api<{ anomalies: AnomalyRow[] }>(
        `/api/v1/anomalies?series=${q(key)}&from=${T0 + (spikeAt - 1) * MIN}&limit=10`,
      );
      return r.anomalies.find((a) => Math.abs(a.start - (T0 + spikeAt * MIN)) <= MIN);
    },
    500,
  );
}

try {
  // 1. History and labels.
  log(`cluster up: ${API}, MLflow ${MLFLOW}; ingesting ${HOSTS.length} × ${N} points`);
  await post(
    HOSTS.flatMap((host, h) =>
      Array.from({ length: N }, (_, i) => ({
        metric: METRIC,
        tags: { host },
        ts: T0 + i * MIN,
        value: valueAt(i, h) + (SPIKES.includes(i) ? 80 : 0),
      })),
    ),
  );
  const key = `${METRIC}{host="a"}`;
  await until('history stored', 180_000, async () =>
    (await api<{ total: number }>(`/api/v1/points?series=${q(key)}&maxPoints=2`)).total >= N
      ? true
      : undefined,
  );
  const flagged = await until(
    'the default flags the spikes',
    180_000,
    async () => {
      const r = await api<{ anomalies: AnomalyRow[] }>(`/api/v1/anomalies?series=${q(key)}&limit=1000`);
      const hits = r.anomalies.filter((a) => SPIKES.some((s) => Math.abs(a.start - (T0 + s * MIN)) <= MIN));
      return hits.length >= 2 ? r.anomalies : undefined;
    },
    1000,
  );
  // Every run at a spike is labelled `anomaly`, the first other run `not_anomaly`.
  let labels = 0;
  let falseAlarm = false;
  for (const a of flagged) {
    const real = SPIKES.some((s) => Math.abs(a.start - (T0 + s * MIN)) <= MIN);
    if (!real && falseAlarm) continue;
    falseAlarm ||= !real;
    await api(`/api/v1/anomalies/${a.id}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: real ? 'anomaly' : 'not_anomaly' }),
    });
    labels++;
  }
  results.labels = labels;
  // The anomalies of a model version are told apart from the default's by the field.
  const before = await spikeAnomaly();
  results.beforeTraining = { anomalyModel: before.model ?? null };

  // 2. Train into MLflow.
  const trainArgs = (budget: string) => [
    'train',
    '--model',
    MODEL,
    '--selector',
    METRIC,
    '--url',
    API,
    '--budget',
    budget,
    '--families',
    'robust-z,windowed-gaussian',
    '--data-dir',
    dataDir,
    '--no-progress',
    '--json',
  ];
  const t0 = Date.now();
  const first = await runVigil(trainArgs('6'), env);
  const trainedAt = Date.now();
  results.train = { exit: first.code, seconds: (trainedAt - t0) / 1000 };
  if (first.code !== 0) throw new Error(`vigil train exited ${first.code}: ${first.err.slice(-2000)}`);
  const alias = await mlflow<{ model_version: { version: string; source: string; run_id: string } }>(
    `registered-models/alias?name=${MODEL}&alias=production`,
  );
  const v1 = alias.model_version.version;
  results.mlflow = {
    productionVersion: v1,
    source: alias.model_version.source,
    runId: alias.model_version.run_id,
  };
  log(`vigil train: exit 0 in ${(trainedAt - t0) / 1000} s; MLflow says ${MODEL}@production = v${v1}`);

  const record = async (label: string, version: string, since: number) => {
    const ms = await switchedAfter(version, since);
    const warm = await warmAfter(since);
    const a = await spikeAnomaly();
    const row = {
      switch: label,
      version,
      msUntilEveryDetectorServes: ms,
      msUntilPrimed: warm,
      anomalyModel: a.model ?? null,
    };
    (results.switches as unknown[]).push(row);
    log(
      `${label}: every detector on v${version} ${ms} ms after the alias moved; new anomaly says ${JSON.stringify(a.model)}`,
    );
    if (a.model?.version !== version)
      throw new Error(`the new anomaly names ${JSON.stringify(a.model)}, not v${version}`);
  };
  await record('train → production', v1, trainedAt);

  // 3. A second version (a retrain: promoted or a candidate), moved to production by hand.
  const second = await runVigil(trainArgs('3'), env);
  if (second.code !== 0 && second.code !== 10)
    throw new Error(`second vigil train exited ${second.code}: ${second.err.slice(-2000)}`);
  const versions = await mlflow<{ model_versions: { version: string }[] }>(
    `model-versions/search?filter=${q(`name='${MODEL}'`)}`,
  );
  const v2 = String(Math.max(...versions.model_versions.map((v) => Number(v.version))));
  results.secondTrainExit = second.code;
  const move = async (version: string) => {
    const r = await runVigil(['models', 'alias', MODEL, 'production', version], env);
    if (r.code !== 0) throw new Error(`vigil models alias exited ${r.code}: ${r.err}`);
    return Date.now();
  };
  if (second.code === 0) await record('retrain promoted', v2, Date.now());
  else await record('move production to v2', v2, await move(v2));
  await record('rollback to v1', v1, await move(v1));
} finally {
  const out = join(ROOT, 'bench/results');
  mkdirSync(out, { recursive: true });
  results.loadAverageAtEnd = loadavg().map((l) => Number(l.toFixed(1)));
  writeFileSync(join(out, 'models-cluster.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log(JSON.stringify(results, null, 2));
  if (!keep) await cluster(['down', '--name', NAME]);
  rmSync(dataDir, { recursive: true, force: true });
}
