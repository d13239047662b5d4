/**
 * `vigil train` as a user runs it, on a real embedded server: two series with injected spikes
 * ingested through the API, the spikes the server flags labelled `anomaly` through the feedback
 * API, then the CLI trains a model into the files registry under the server's data dir (the
 * version, its model.json and report, the production alias moved), a second training that cannot
 * beat production is registered as a `candidate` with exit code 10, and bad input gets the
 * documented exit codes and messages. Then the same against a real MLflow tracking server: the
 * version, the alias, and one tracking run per candidate with its pipeline and plot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openModelRegistry } from '../../src/app/model-registry.ts';
import { validateConfig } from '../../src/config/load.ts';
import { decodeModelSpec } from '../../src/core/models/model.ts';
import { runVigil as vigil } from '../helpers/cli.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';
import { service } from '../support/services.ts';

const MIN = 60_000;
const N = 3000;
const T0 = Date.UTC(2026, 10, 1);
const SPIKES = [1500, 2000, 2500];

let server: TestServer;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`${server.url}${path}`, init);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

const q = encodeURIComponent;

beforeAll(async () => {
  server = await startTestServer();
  const points = ['a', 'b'].flatMap((host, h) =>
    Array.from({ length: N }, (_, i) => ({
      metric: 'train_cpu',
      tags: { host },
      ts: T0 + i * MIN,
      value: 50 + 5 * Math.sin(i / 30) + ((i * 7919) % 13) * 0.1 + (SPIKES.includes(i + h * 100) ? 80 : 0),
    })),
  );
  for (let i = 0; i < points.length; i += 2000) {
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: points.slice(i, i + 2000) }),
    });
    expect(r.status).toBe(204);
  }
  const key = 'train_cpu{host="a"}';
  await eventually(
    async () => (await api<{ total: number }>(`/api/v1/points?series=${q(key)}&maxPoints=2`)).total === N,
    60_000,
  );
  // Label what the server flagged: runs starting at an injected spike are anomalies, one other run a false alarm.
  const { anomalies } = await eventually(async () => {
    const r = await api<{ anomalies: { id: string; start: number }[] }>(
      `/api/v1/anomalies?series=${q(key)}&limit=1000`,
    );
    const hits = r.anomalies.filter((a) => SPIKES.some((s) => Math.abs(a.start - (T0 + s * MIN)) <= MIN));
    return hits.length >= 2 ? r : undefined;
  }, 60_000);
  let falseAlarm = false;
  for (const a of anomalies) {
    const real = SPIKES.some((s) => Math.abs(a.start - (T0 + s * MIN)) <= MIN);
    if (!real && (falseAlarm || a.start < T0 + 1000 * MIN)) continue;
    falseAlarm ||= !real;
    await api(`/api/v1/anomalies/${a.id}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: real ? 'anomaly' : 'not_anomaly' }),
    });
  }
}, 180_000);

afterAll(async () => {
  await server?.dispose();
});

const common = () => [
  '--url',
  server.url,
  '--budget',
  '4',
  '--families',
  'robust-z,windowed-gaussian',
  '--workers',
  '2',
  '--no-progress',
  '--json',
];

describe('vigil train on the files registry', () => {
  it('registers the winner as version 1 and moves production to it (exit 0)', async () => {
    const r = await vigil([
      'train',
      '--model',
      'cpu',
      '--selector',
      'train_cpu',
      '--data-dir',
      server.dataDir,
      ...common(),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ model: 'cpu', version: '1', promoted: true, previous: null });
    expect(r.err).toMatch(/promoted: cpu@production -> version 1/);
    const registry = await openModelRegistry(validateConfig({ dataDir: server.dataDir }));
    try {
      const production = await registry.byAlias('cpu', 'production');
      expect(production?.version).toBe('1');
      expect(production?.runId).toBeDefined();
      const files = await registry.files('cpu', '1');
      expect([...files.keys()].sort()).toEqual(['backtest.svg', 'model.json', 'report.json']);
      const spec = decodeModelSpec(files.get('model.json')!, 'cpu/1');
      expect(spec).toMatchObject({
        name: 'cpu',
        selector: 'train_cpu',
        report: { objective: 'feedback-nab', candidates: 4, series: 2, points: 2 * N },
      });
      expect(spec.report!.labels).toBeGreaterThanOrEqual(2);
      expect(spec.report!.score).toBeGreaterThan(0);
      expect(new TextDecoder().decode(files.get('backtest.svg'))).toMatch(/^<svg/);
    } finally {
      await registry.close();
    }
  }, 300_000);

  it('registers a retraining that does not beat production as a candidate (exit 10), production unmoved', async () => {
    // No --selector: the production version's.
    const r = await vigil(['train', '--model', 'cpu', '--data-dir', server.dataDir, ...common()]);
    expect(r.code, r.err).toBe(10);
    expect(JSON.parse(r.out)).toMatchObject({ version: '2', promoted: false, previous: '1' });
    expect(r.err).toMatch(/not promoted .*version 2 tagged candidate/);
    const registry = await openModelRegistry(validateConfig({ dataDir: server.dataDir }));
    try {
      expect((await registry.byAlias('cpu', 'production'))?.version).toBe('1');
      expect((await registry.version('cpu', '2')).tags.candidate).toBe('true');
      const spec = decodeModelSpec((await registry.files('cpu', '2')).get('model.json')!, 'cpu/2');
      expect(spec.report?.productionScore).toBe(spec.report?.score);
    } finally {
      await registry.close();
    }
  }, 300_000);

  it('answers bad input with the documented exit codes and messages', async () => {
    const dir = ['--data-dir', server.dataDir, '--url', server.url, '--no-progress'];
    const unknown = await vigil(['train', '--model', 'nosuch', ...dir]);
    expect(unknown.code).toBe(3);
    expect(unknown.err).toMatch(/VIGIL_ERR_UNKNOWN_MODEL: unknown model "nosuch" .*give --selector/);
    const alias = await vigil(['train', '--model', 'cpu', '--candidate-from', 'cpu@staging', ...dir]);
    expect(alias.code).toBe(3);
    expect(alias.err).toMatch(/model "cpu" has no alias "staging"/);
    const version = await vigil(['train', '--model', 'cpu', '--candidate-from', 'cpu/99', ...dir]);
    expect(version.code).toBe(3);
    const selector = await vigil(['train', '--model', 'cpu', '--selector', 'train_cpu{host=', ...dir]);
    expect(selector.code).toBe(2);
    expect(selector.err).toMatch(/VIGIL_ERR_BAD_REQUEST: selector: invalid selector/);
    const none = await vigil(['train', '--model', 'cpu', '--selector', 'no_such_metric', ...dir]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/selector: no_such_metric matches no series/);
    const name = await vigil(['train', '--model', 'bad name', '--selector', 'train_cpu', ...dir]);
    expect(name.code).toBe(2);
    expect(name.err).toMatch(/VIGIL_ERR_BAD_MODEL/);
    const budget = await vigil(['train', '--model', 'cpu', '--budget', 'many', ...dir]);
    expect(budget.code).toBe(2);
    expect(budget.err).toMatch(/--budget: must be an integer/);
    const missing = await vigil(['train', '--selector', 'train_cpu']);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--model/);
    const down = await vigil([
      'train',
      '--model',
      'cpu',
      '--data-dir',
      server.dataDir,
      '--url',
      'http://127.0.0.1:1',
      '--no-progress',
    ]);
    expect(down.code).toBe(4);
    expect(down.err).toMatch(/VIGIL_ERR_UNAVAILABLE: Vigil at http:\/\/127.0.0.1:1 unreachable/);
    // Nothing of it was registered.
    const registry = await openModelRegistry(validateConfig({ dataDir: server.dataDir }));
    try {
      expect(await registry.models()).toEqual(['cpu']);
      expect((await registry.versions('cpu')).map((v) => v.version)).toEqual(['1', '2']);
    } finally {
      await registry.close();
    }
  }, 300_000);
});

describe('vigil train on MLflow', () => {
  it('registers the version, moves the alias, and logs one run per candidate with its pipeline and plot', async () => {
    const { VIGIL_MLFLOW_URL: mlflow } = service('mlflow');
    const model = `train-it-${Date.now()}`;
    const env = { VIGIL_MODEL_REGISTRY: 'mlflow', VIGIL_MLFLOW_URL: mlflow! };
    const r = await vigil(['train', '--model', model, '--selector', 'train_cpu', ...common()], env);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ version: '1', promoted: true });
    const registry = await openModelRegistry(
      validateConfig({ models: { registry: 'mlflow', mlflowUrl: mlflow } }),
    );
    try {
      const v = await registry.byAlias(model, 'production');
      expect(v?.version).toBe('1');
      const spec = decodeModelSpec((await registry.files(model, '1')).get('model.json')!, `${model}/1`);
      expect(spec).toMatchObject({
        name: model,
        selector: 'train_cpu',
        report: { objective: 'feedback-nab' },
      });
    } finally {
      await registry.close();
    }
    // The tracking runs, read back over MLflow's own REST API.
    const exp = (await (
      await fetch(`${mlflow}/api/2.0/mlflow/experiments/get-by-name?experiment_name=vigil`)
    ).json()) as { experiment: { experiment_id: string } };
    const search = (await (
      await fetch(`${mlflow}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          experiment_ids: [exp.experiment.experiment_id],
          filter: `tags.\`vigil.model\` = '${model}'`,
          max_results: 100,
        }),
      })
    ).json()) as {
      runs: {
        info: { run_id: string; status: string; run_name: string };
        data: {
          params?: { key: string; value: string }[];
          metrics?: { key: string }[];
          tags?: { key: string; value: string }[];
        };
      }[];
    };
    const candidates = search.runs.filter((x) =>
      x.data.tags?.some((t) => t.key === 'vigil.role' && t.value === 'candidate'),
    );
    expect(candidates).toHaveLength(4);
    expect(search.runs).toHaveLength(5);
    for (const run of candidates) {
      expect(run.info.status).toBe('FINISHED');
      expect(run.data.params?.some((p) => p.key === 'detector.name')).toBe(true);
      expect(run.data.metrics?.map((m) => m.key)).toEqual(
        expect.arrayContaining(['objective', 'precision', 'recall', 'alerts_per_series_day']),
      );
      const list = (await (
        await fetch(`${mlflow}/api/2.0/mlflow/artifacts/list?run_id=${run.info.run_id}`)
      ).json()) as {
        files?: { path: string }[];
      };
      expect(list.files?.map((f) => f.path)).toEqual(
        expect.arrayContaining(['pipeline.json', 'backtest.svg']),
      );
    }
  }, 600_000);
});
