/**
 * The model registry contract on a real MLflow server (scripts/services/mlflow.sh: MLflow 3.17.2,
 * SQLite backend store, proxied local artifacts). What the adapter wrote is read back with plain
 * fetch calls to MLflow's own REST API, not through the adapter. Also: MLflow down or hung is
 * VIGIL_ERR_UNAVAILABLE within the request timeout, and openModelRegistry picks MLflow by config.
 */
import { createServer, type Server } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { openMlflowModelRegistry, proxyPath } from '../../src/adapters/mlflow/index.ts';
import { openModelRegistry } from '../../src/app/model-registry.ts';
import { validateConfig } from '../../src/config/load.ts';
import { service } from '../support/services.ts';
import { modelFiles, modelRegistryContract, type StoredRun } from './model-registry.contract.ts';

let url = '';

beforeAll(() => {
  url = service('mlflow').VIGIL_MLFLOW_URL!;
}, 600_000);

async function api<T>(path: string): Promise<T> {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const proxied = (path: string): string =>
  `${url}/api/2.0/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;

/** Every artifact file of a run, listed with MLflow's artifacts/list and downloaded through the proxy. */
async function runArtifacts(runId: string, root: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (path: string): Promise<void> => {
    const q = `artifacts/list?run_id=${runId}${path === '' ? '' : `&path=${encodeURIComponent(path)}`}`;
    const res = await api<{ files?: { path: string; is_dir: boolean }[] }>(q);
    for (const f of res.files ?? []) {
      if (f.is_dir) await walk(f.path);
      else out.set(f.path, new Uint8Array(await (await fetch(proxied(`${root}/${f.path}`))).arrayBuffer()));
    }
  };
  await walk('');
  return out;
}

modelRegistryContract('mlflow', async () => {
  const registry = await openMlflowModelRegistry({ url, experiment: 'vigil-contract' });
  return {
    registry,
    async storedRun(run): Promise<StoredRun> {
      const got = await api<{
        run: {
          info: { status: string; artifact_uri: string };
          data: { params?: { key: string; value: string }[]; metrics?: { key: string }[] };
        };
      }>(`runs/get?run_id=${run.id}`);
      const metrics: StoredRun['metrics'] = [];
      for (const key of new Set((got.run.data.metrics ?? []).map((m) => m.key))) {
        const h = await api<{
          metrics: { key: string; value: number | string; timestamp: number; step?: number }[];
        }>(`metrics/get-history?run_id=${run.id}&metric_key=${encodeURIComponent(key)}`);
        for (const m of h.metrics) {
          metrics.push({
            key: m.key,
            value: Number(m.value),
            timestamp: Number(m.timestamp),
            step: Number(m.step ?? 0),
          });
        }
      }
      return {
        status: got.run.info.status,
        params: Object.fromEntries((got.run.data.params ?? []).map((p) => [p.key, p.value])),
        metrics,
        artifacts: await runArtifacts(run.id, proxyPath(got.run.info.artifact_uri)),
      };
    },
    async storedVersion(name, version) {
      const v = await api<{ model_version: { aliases?: string[]; tags?: { key: string; value: string }[] } }>(
        `model-versions/get?name=${encodeURIComponent(name)}&version=${version}`,
      );
      return {
        aliases: v.model_version.aliases ?? [],
        tags: Object.fromEntries((v.model_version.tags ?? []).map((t) => [t.key, t.value])),
      };
    },
    async corruptModelFile(name, version, bytes) {
      const { artifact_uri } = await api<{ artifact_uri: string }>(
        `model-versions/get-download-uri?name=${encodeURIComponent(name)}&version=${version}`,
      );
      const res = await fetch(proxied(`${proxyPath(artifact_uri)}/model.json`), {
        method: 'PUT',
        body: bytes,
      });
      expect(res.ok).toBe(true);
      return `${artifact_uri}/model.json`;
    },
    close: () => registry.close(),
  };
});

describe('mlflow registry: as MLflow sees it', () => {
  it('a version registered without a run is a LoggedModel version; the registered model lists the alias', async () => {
    const registry = await openMlflowModelRegistry({ url, experiment: 'vigil-contract' });
    const name = `t-seen-${Date.now().toString(36)}`;
    const v = await registry.createVersion(name, modelFiles(name), { tags: { candidate: 'false' } });
    await registry.setAlias(name, 'production', v.version);
    expect(v.source).toMatch(/^models:\/m-/);
    const model = await api<{ registered_model: { aliases?: { alias: string; version: string }[] } }>(
      `registered-models/get?name=${name}`,
    );
    expect(model.registered_model.aliases).toEqual([{ alias: 'production', version: '1' }]);
    const byAlias = await api<{ model_version: { version: string; status: string } }>(
      `registered-models/alias?name=${name}&alias=production`,
    );
    expect(byAlias.model_version).toMatchObject({ version: '1', status: 'READY' });
  });

  it('openModelRegistry picks MLflow when models.registry is "mlflow"', async () => {
    const config = validateConfig({
      dataDir: '/nonexistent',
      models: { registry: 'mlflow', mlflowUrl: url },
    });
    const registry = await openModelRegistry(config);
    expect(registry.description).toBe(`mlflow ${url}`);
    expect(Array.isArray(await registry.models())).toBe(true);
    await registry.close();
  });
});

describe('mlflow registry: server down', () => {
  const codeOf = async (
    p: Promise<unknown>,
  ): Promise<{ code: string; retriable: boolean; message: string }> => {
    try {
      await p;
    } catch (err) {
      const e = err as { code: string; retriable: boolean; message: string };
      return { code: e.code, retriable: e.retriable, message: e.message };
    }
    return { code: 'resolved', retriable: false, message: '' };
  };

  it('nothing listening: VIGIL_ERR_UNAVAILABLE, retriable, after the bounded retries', async () => {
    const dead = createServer();
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
    const port = (dead.address() as { port: number }).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const registry = await openMlflowModelRegistry({
      url: `http://127.0.0.1:${port}`,
      requestTimeoutMs: 1000,
    });
    const err = await codeOf(registry.byAlias('cpu', 'production'));
    expect(err).toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE', retriable: true });
    expect(err.message).toContain('ECONNREFUSED');
    expect((await codeOf(registry.startRun('e', 'r'))).code).toBe('VIGIL_ERR_UNAVAILABLE');
  });

  it('a server that accepts and never answers: VIGIL_ERR_UNAVAILABLE at the request timeout, not a hang', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hung: Server = createServer((s) => {
      sockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    try {
      const port = (hung.address() as { port: number }).port;
      const registry = await openMlflowModelRegistry({
        url: `http://127.0.0.1:${port}`,
        requestTimeoutMs: 300,
        retries: 1,
      });
      const err = await codeOf(registry.versions('cpu'));
      expect(err).toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE', retriable: true });
      expect(err.message).toContain('no answer within 300 ms');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hung.close(() => r()));
    }
  });
});
