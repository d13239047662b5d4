/**
 * The ModelRegistry port on an MLflow tracking server (scaled-out Vigil): experiments, runs and
 * their metrics/params/artifacts, registered models, model versions, aliases and version tags, all
 * over MLflow's REST API (client.ts). Artifacts go through the server's artifacts proxy
 * (`mlflow-artifacts:` URIs), so Vigil needs only the server's URL, never its artifact store.
 *
 * A version's artifact is uploaded before the version is created. With a run, under the run's
 * artifacts at `model/` (source `<run artifact URI>/model`, run_id set). Without one, MLflow
 * (3.x) accepts no free-standing `mlflow-artifacts:` source, so the files become an MLflow
 * LoggedModel in the `experiment` of the config (source `models:/<model id>`, no run). MLflow
 * numbers versions itself; a version is returned once its status is READY.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { VigilError } from '../../core/errors.ts';
import { checkModelName } from '../../core/models/model.ts';
import {
  checkAlias,
  checkArtifactPath,
  checkModelFiles,
  checkNewVersion,
  checkTagKey,
  checkTags,
  checkTagValue,
  checkVersion,
} from '../../core/models/registry-names.ts';
import type { MetricPoint, ModelRegistry, ModelVersion, TrackingRun } from '../../ports/model-registry.ts';
import { type MlflowClient, MlflowError, mlflowCodeOf } from './client.ts';
import type { ResolvedMlflowConfig } from './config.ts';

interface KeyValue {
  key: string;
  value: string;
}

/** MLflow's ModelVersion message, the fields read here. */
interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  run_id?: string;
  source?: string;
  status?: 'PENDING_REGISTRATION' | 'FAILED_REGISTRATION' | 'READY';
  status_message?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

interface MlflowRegisteredModel {
  name: string;
  aliases?: { alias: string; version: string }[];
}

/** MLflow's per-request limits of runs/log-batch. */
const BATCH_PARAMS = 100;
const BATCH_METRICS = 1000;

const kv = (o: Record<string, string>): KeyValue[] =>
  Object.entries(o).map(([key, value]) => ({ key, value }));

/** The proxy path of an `mlflow-artifacts:` URI (`mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`). */
export function proxyPath(uri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(uri);
  if (m === null) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `MLflow artifact location "${uri}" is not served by the tracking server: start it with --serve-artifacts (the default) and an --artifacts-destination`,
    );
  }
  return m[1]!.replace(/\/+$/, '');
}

export class MlflowModelRegistry implements ModelRegistry {
  readonly description: string;
  readonly #client: MlflowClient;
  readonly #config: ResolvedMlflowConfig;
  readonly #experiments = new Map<string, string>();
  readonly #runArtifacts = new Map<string, string>();

  constructor(client: MlflowClient, config: ResolvedMlflowConfig) {
    this.#client = client;
    this.#config = config;
    this.description = `mlflow ${config.url}`;
  }

  // Tracking

  async startRun(
    experiment: string,
    runName: string,
    tags: Record<string, string> = {},
  ): Promise<TrackingRun> {
    if (experiment === '') throw new VigilError('VIGIL_ERR_BAD_MODEL', 'experiment: must not be empty');
    checkTags(tags, 'run tag');
    const experimentId = await this.#experimentId(experiment);
    const res = await this.#client.post<{ run: { info: { run_id: string; artifact_uri: string } } }>(
      'runs/create',
      {
        experiment_id: experimentId,
        run_name: runName,
        start_time: Date.now(),
        tags: kv(tags),
      },
    );
    this.#runArtifacts.set(res.run.info.run_id, res.run.info.artifact_uri);
    return { id: res.run.info.run_id, experimentId };
  }

  async logParams(run: TrackingRun, params: Record<string, string>): Promise<void> {
    const all = Object.entries(params).map(([key, value]) => {
      checkTagKey(key, 'param');
      return { key, value: String(value) };
    });
    for (let i = 0; i < all.length; i += BATCH_PARAMS) {
      await this.#client.post('runs/log-batch', { run_id: run.id, params: all.slice(i, i + BATCH_PARAMS) });
    }
  }

  async logMetrics(run: TrackingRun, metrics: Record<string, number>, at: MetricPoint = {}): Promise<void> {
    const timestamp = at.timestamp ?? Date.now();
    const step = at.step ?? 0;
    const all = Object.entries(metrics).map(([key, value]) => {
      checkTagKey(key, 'metric');
      if (typeof value !== 'number') {
        throw new VigilError('VIGIL_ERR_BAD_MODEL', `metric ${key}: not a number (${JSON.stringify(value)})`);
      }
      // JSON has no NaN/Infinity; MLflow's protobuf JSON reads them as these strings.
      return { key, value: Number.isFinite(value) ? value : String(value), timestamp, step };
    });
    for (let i = 0; i < all.length; i += BATCH_METRICS) {
      await this.#client.post('runs/log-batch', { run_id: run.id, metrics: all.slice(i, i + BATCH_METRICS) });
    }
  }

  async logArtifact(run: TrackingRun, path: string, bytes: Uint8Array): Promise<void> {
    checkArtifactPath(path);
    await this.#client.putArtifact(`${await this.#runArtifactPath(run)}/${path}`, bytes);
  }

  async endRun(run: TrackingRun, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
    await this.#client.post(
      'runs/update',
      { run_id: run.id, status, end_time: Date.now() },
      { idempotent: true },
    );
  }

  // Registry

  async createVersion(
    name: string,
    files: ReadonlyMap<string, Uint8Array>,
    opts: { run?: TrackingRun; tags?: Record<string, string>; description?: string } = {},
  ): Promise<ModelVersion> {
    const tags = checkNewVersion(name, files, opts.tags);
    let source: string;
    let lineage: { run_id: string } | { model_id: string };
    if (opts.run !== undefined) {
      const dir = `${await this.#runArtifactPath(opts.run)}/model`;
      for (const [path, bytes] of files) await this.#client.putArtifact(`${dir}/${path}`, bytes);
      source = `${this.#runArtifacts.get(opts.run.id)}/model`;
      lineage = { run_id: opts.run.id };
    } else {
      const modelId = await this.#loggedModel(name, files);
      source = `models:/${modelId}`;
      lineage = { model_id: modelId };
    }
    try {
      await this.#client.post('registered-models/create', { name });
    } catch (err) {
      if (mlflowCodeOf(err) !== 'RESOURCE_ALREADY_EXISTS') throw err;
    }
    const res = await this.#client.post<{ model_version: MlflowModelVersion }>('model-versions/create', {
      name,
      source,
      ...lineage,
      tags: kv(tags),
      ...(opts.description === undefined ? {} : { description: opts.description }),
    });
    return this.#toVersion(await this.#ready(res.model_version));
  }

  async models(): Promise<string[]> {
    const names: string[] = [];
    let token: string | undefined;
    do {
      const res = await this.#client.get<{
        registered_models?: MlflowRegisteredModel[];
        next_page_token?: string;
      }>('registered-models/search', { max_results: 1000, page_token: token });
      for (const m of res.registered_models ?? []) names.push(m.name);
      token = res.next_page_token || undefined;
    } while (token !== undefined);
    return names.sort();
  }

  async versions(name: string): Promise<ModelVersion[]> {
    checkModelName(name);
    const model = await this.#model(name);
    const out: MlflowModelVersion[] = [];
    let token: string | undefined;
    do {
      const res = await this.#client.get<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>(
        'model-versions/search',
        { filter: `name='${name}'`, max_results: 10_000, page_token: token },
      );
      out.push(...(res.model_versions ?? []));
      token = res.next_page_token || undefined;
    } while (token !== undefined);
    // Search results may leave aliases out: take them from the registered model.
    const aliases = new Map<string, string[]>();
    for (const a of model.aliases ?? []) aliases.set(a.version, [...(aliases.get(a.version) ?? []), a.alias]);
    return out
      .map((v) => this.#toVersion({ ...v, aliases: aliases.get(String(v.version)) ?? [] }))
      .sort((a, b) => Number(a.version) - Number(b.version));
  }

  async version(name: string, version: string): Promise<ModelVersion> {
    checkModelName(name);
    checkVersion(version);
    return this.#toVersion(await this.#modelVersion(name, version));
  }

  async byAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    checkModelName(name);
    checkAlias(alias);
    try {
      const res = await this.#client.get<{ model_version: MlflowModelVersion }>('registered-models/alias', {
        name,
        alias,
      });
      return this.#toVersion(res.model_version);
    } catch (err) {
      if (!(err instanceof MlflowError) || err.retriable) throw err;
      // An unset alias is INVALID_PARAMETER_VALUE to MLflow, an unknown model RESOURCE_DOES_NOT_EXIST:
      // both are "no version" here, which the model's own alias list confirms.
      const model = await this.#model(name).catch((e: unknown) => {
        if (e instanceof MlflowError && e.code === 'VIGIL_ERR_UNKNOWN_MODEL') return undefined;
        throw e;
      });
      if (model === undefined || !(model.aliases ?? []).some((a) => a.alias === alias)) return undefined;
      throw err;
    }
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkModelName(name);
    checkAlias(alias);
    checkVersion(version);
    await this.#modelVersion(name, version); // MLflow would say INVALID_PARAMETER_VALUE; we say which one is missing
    await this.#client.post('registered-models/alias', { name, alias, version }, { idempotent: true });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    checkModelName(name);
    checkAlias(alias);
    const model = await this.#model(name);
    if (!(model.aliases ?? []).some((a) => a.alias === alias)) return;
    await this.#client.send('DELETE', 'registered-models/alias', { name, alias });
  }

  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    checkModelName(name);
    checkVersion(version);
    checkTagKey(key);
    checkTagValue(key, value);
    await this.#modelVersion(name, version);
    await this.#client.post('model-versions/set-tag', { name, version, key, value }, { idempotent: true });
  }

  async files(name: string, version: string): Promise<Map<string, Uint8Array>> {
    checkModelName(name);
    checkVersion(version);
    await this.#modelVersion(name, version);
    const res = await this.#client.get<{ artifact_uri: string }>('model-versions/get-download-uri', {
      name,
      version,
    });
    const uri = res.artifact_uri.replace(/\/+$/, '');
    const root = proxyPath(uri);
    const files = new Map<string, Uint8Array>();
    const walk = async (rel: string): Promise<void> => {
      for (const e of await this.#client.listArtifacts(rel === '' ? root : `${root}/${rel}`)) {
        // The proxy lists names relative to the listed directory.
        const base = e.path.split('/').at(-1)!;
        const child = rel === '' ? base : `${rel}/${base}`;
        if (e.is_dir) await walk(child);
        else files.set(child, await this.#client.getArtifact(`${root}/${child}`));
      }
    };
    await walk('');
    checkModelFiles(name, files, uri);
    return files;
  }

  async close(): Promise<void> {}

  // Internals

  async #experimentId(name: string): Promise<string> {
    const known = this.#experiments.get(name);
    if (known !== undefined) return known;
    let id: string;
    try {
      const res = await this.#client.get<{ experiment: { experiment_id: string } }>(
        'experiments/get-by-name',
        {
          experiment_name: name,
        },
      );
      id = res.experiment.experiment_id;
    } catch (err) {
      if (mlflowCodeOf(err) !== 'RESOURCE_DOES_NOT_EXIST') throw err;
      try {
        id = (await this.#client.post<{ experiment_id: string }>('experiments/create', { name }))
          .experiment_id;
      } catch (err2) {
        // Another process created it first.
        if (mlflowCodeOf(err2) !== 'RESOURCE_ALREADY_EXISTS') throw err2;
        id = (
          await this.#client.get<{ experiment: { experiment_id: string } }>('experiments/get-by-name', {
            experiment_name: name,
          })
        ).experiment.experiment_id;
      }
    }
    this.#experiments.set(name, id);
    return id;
  }

  /** Uploads `files` as a new MLflow LoggedModel named `name` and marks it READY; its id. */
  async #loggedModel(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<string> {
    const experimentId = await this.#experimentId(this.#config.experiment);
    const res = await this.#client.post<{ model: { info: { model_id: string; artifact_uri: string } } }>(
      'logged-models',
      { experiment_id: experimentId, name, tags: [{ key: 'vigil.upload', value: 'true' }] },
    );
    const { model_id: modelId, artifact_uri: uri } = res.model.info;
    const dir = proxyPath(uri);
    for (const [path, bytes] of files) await this.#client.putArtifact(`${dir}/${path}`, bytes);
    await this.#client.send('PATCH', `logged-models/${modelId}`, {
      model_id: modelId,
      status: 'LOGGED_MODEL_READY',
    });
    return modelId;
  }

  /** The proxy path of a run's artifact root (asking MLflow for runs this process did not start). */
  async #runArtifactPath(run: TrackingRun): Promise<string> {
    let uri = this.#runArtifacts.get(run.id);
    if (uri === undefined) {
      const res = await this.#client.get<{ run: { info: { artifact_uri: string } } }>('runs/get', {
        run_id: run.id,
      });
      uri = res.run.info.artifact_uri;
      this.#runArtifacts.set(run.id, uri);
    }
    return proxyPath(uri);
  }

  async #model(name: string): Promise<MlflowRegisteredModel> {
    try {
      return (
        await this.#client.get<{ registered_model: MlflowRegisteredModel }>('registered-models/get', { name })
      ).registered_model;
    } catch (err) {
      if (err instanceof MlflowError && err.code === 'VIGIL_ERR_UNKNOWN_MODEL') {
        throw new MlflowError(
          'VIGIL_ERR_UNKNOWN_MODEL',
          `model "${name}" is not registered (${this.description})`,
          err.mlflowCode,
          err,
        );
      }
      throw err;
    }
  }

  async #modelVersion(name: string, version: string): Promise<MlflowModelVersion> {
    await this.#model(name);
    try {
      return (
        await this.#client.get<{ model_version: MlflowModelVersion }>('model-versions/get', { name, version })
      ).model_version;
    } catch (err) {
      if (err instanceof MlflowError && err.code === 'VIGIL_ERR_UNKNOWN_MODEL') {
        throw new MlflowError(
          'VIGIL_ERR_UNKNOWN_MODEL',
          `model "${name}" has no version ${version} (${this.description})`,
          err.mlflowCode,
          err,
        );
      }
      throw err;
    }
  }

  /** Polls a new version until MLflow marks it READY; FAILED_REGISTRATION or no READY in time is an error. */
  async #ready(v: MlflowModelVersion): Promise<MlflowModelVersion> {
    const deadline = Date.now() + this.#config.readyTimeoutMs;
    let current = v;
    let pause = 50;
    for (;;) {
      if (current.status === undefined || current.status === 'READY') return current;
      if (current.status === 'FAILED_REGISTRATION') {
        throw new VigilError(
          'VIGIL_ERR_BAD_MODEL',
          `MLflow failed to register ${v.name} version ${v.version}: ${current.status_message ?? 'no message'}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new VigilError(
          'VIGIL_ERR_UNAVAILABLE',
          `MLflow: ${v.name} version ${v.version} still ${current.status} after ${this.#config.readyTimeoutMs} ms`,
        );
      }
      await sleep(pause);
      pause = Math.min(pause * 2, 1000);
      current = (
        await this.#client.get<{ model_version: MlflowModelVersion }>('model-versions/get', {
          name: v.name,
          version: v.version,
        })
      ).model_version;
    }
  }

  #toVersion(v: MlflowModelVersion): ModelVersion {
    return {
      name: v.name,
      version: String(v.version),
      createdAt: Number(v.creation_timestamp ?? 0),
      ...(v.run_id ? { runId: v.run_id } : {}),
      tags: Object.fromEntries((v.tags ?? []).map((t) => [t.key, t.value])),
      aliases: [...(v.aliases ?? [])].sort(),
      source: v.source ?? '',
    };
  }
}
