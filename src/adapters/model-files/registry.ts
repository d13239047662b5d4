/**
 * The ModelRegistry port on files under one root directory (`<dataDir>/models`), for the embedded
 * server: the same semantics as MLflow's registry (ports/model-registry.ts), safe while `vigil
 * train` writes in one process and a server reads in another. Layout:
 *
 *   <root>/<model>/versions/<n>/version.json   the version's record (created, run, tags)
 *   <root>/<model>/versions/<n>/files/…         its artifact: the model directory
 *   <root>/<model>/aliases.json                 { alias: version }
 *   <root>/.tracking/<experiment>/experiment.json, <run>/run.json, params.json, metrics.jsonl, artifacts/…
 *   <root>/.lock                                held by a writer (lock.ts)
 *   <root>/.staging/                            versions being written
 *
 * A version is written whole under .staging and renamed to its number under the lock, so a reader
 * sees all of it or none; every other change is one file replaced by rename. Model names cannot
 * start with a dot (checkModelName), so they never meet the dot-directories.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
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
import { readJson, readTree, writeAtomic, writeTree } from './files.ts';
import { withLock } from './lock.ts';

interface VersionRecord {
  name: string;
  version: string;
  createdAt: number;
  runId?: string;
  tags: Record<string, string>;
  description?: string;
}

export interface RunRecord {
  id: string;
  experimentId: string;
  experiment: string;
  name: string;
  status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';
  startTime: number;
  endTime?: number;
  tags: Record<string, string>;
}

/** One line of a run's metrics.jsonl. */
export interface MetricRecord {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

const unknown = (msg: string): never => {
  throw new VigilError('VIGIL_ERR_UNKNOWN_MODEL', msg);
};

/** An experiment name as one safe path segment: every byte but [A-Za-z0-9_-] as %XX. */
function experimentDir(name: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export class FileModelRegistry implements ModelRegistry {
  readonly description: string;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
    this.description = `files ${root}`;
  }

  // Tracking

  async startRun(
    experiment: string,
    runName: string,
    tags: Record<string, string> = {},
  ): Promise<TrackingRun> {
    if (experiment === '') throw new VigilError('VIGIL_ERR_BAD_MODEL', 'experiment: must not be empty');
    checkTags(tags, 'run tag');
    const experimentId = experimentDir(experiment);
    const expPath = join(this.#root, '.tracking', experimentId);
    if ((await readJson(join(expPath, 'experiment.json'))) === undefined) {
      await withLock(this.#lockPath(), async () => {
        if ((await readJson(join(expPath, 'experiment.json'))) === undefined) {
          await writeAtomic(
            join(expPath, 'experiment.json'),
            `${JSON.stringify({ id: experimentId, name: experiment, createdAt: Date.now() }, null, 2)}\n`,
          );
        }
      });
    }
    const id = randomUUID().replaceAll('-', '');
    const run: RunRecord = {
      id,
      experimentId,
      experiment,
      name: runName,
      status: 'RUNNING',
      startTime: Date.now(),
      tags: { ...tags },
    };
    await writeAtomic(join(expPath, id, 'run.json'), `${JSON.stringify(run, null, 2)}\n`);
    return { id, experimentId };
  }

  async logParams(run: TrackingRun, params: Record<string, string>): Promise<void> {
    const dir = await this.#runDir(run);
    const file = join(dir, 'params.json');
    // One run has one writer (the process that started it), so read-modify-write needs no lock.
    const current = ((await readJson(file)) ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(params)) {
      checkTagKey(k, 'param');
      if (current[k] !== undefined && current[k] !== v) {
        throw new VigilError(
          'VIGIL_ERR_BAD_MODEL',
          `param ${k}: already logged as ${JSON.stringify(current[k])} in run ${run.id} (params cannot change)`,
        );
      }
      current[k] = String(v);
    }
    await writeAtomic(file, `${JSON.stringify(current, null, 2)}\n`);
  }

  async logMetrics(run: TrackingRun, metrics: Record<string, number>, at: MetricPoint = {}): Promise<void> {
    const dir = await this.#runDir(run);
    const timestamp = at.timestamp ?? Date.now();
    const step = at.step ?? 0;
    let lines = '';
    for (const [key, value] of Object.entries(metrics)) {
      checkTagKey(key, 'metric');
      if (typeof value !== 'number') {
        throw new VigilError('VIGIL_ERR_BAD_MODEL', `metric ${key}: not a number (${JSON.stringify(value)})`);
      }
      // JSON has no NaN/Infinity: they are written as strings and read back as numbers.
      const v = Number.isFinite(value) ? value : String(value);
      lines += `${JSON.stringify({ key, value: v, timestamp, step })}\n`;
    }
    if (lines !== '') await appendFile(join(dir, 'metrics.jsonl'), lines);
  }

  async logArtifact(run: TrackingRun, path: string, bytes: Uint8Array): Promise<void> {
    checkArtifactPath(path);
    const dir = await this.#runDir(run);
    await writeAtomic(join(dir, 'artifacts', ...path.split('/')), bytes);
  }

  async endRun(run: TrackingRun, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
    const dir = await this.#runDir(run);
    const record = (await readJson(join(dir, 'run.json'))) as RunRecord;
    await writeAtomic(
      join(dir, 'run.json'),
      `${JSON.stringify({ ...record, status, endTime: Date.now() }, null, 2)}\n`,
    );
  }

  // Registry

  async createVersion(
    name: string,
    files: ReadonlyMap<string, Uint8Array>,
    opts: { run?: TrackingRun; tags?: Record<string, string>; description?: string } = {},
  ): Promise<ModelVersion> {
    const tags = checkNewVersion(name, files, opts.tags);
    const runDir = opts.run === undefined ? undefined : await this.#runDir(opts.run);
    const staging = join(this.#root, '.staging', randomUUID());
    try {
      await writeTree(join(staging, 'files'), files);
      if (runDir !== undefined) await writeTree(join(runDir, 'artifacts', 'model'), files);
      const versionsDir = join(this.#root, name, 'versions');
      return await withLock(this.#lockPath(), async () => {
        await mkdir(versionsDir, { recursive: true });
        const taken = await this.#versionNumbers(name);
        const version = String((taken.at(-1) ?? 0) + 1);
        const record: VersionRecord = {
          name,
          version,
          createdAt: Date.now(),
          ...(opts.run === undefined ? {} : { runId: opts.run.id }),
          tags,
          ...(opts.description === undefined ? {} : { description: opts.description }),
        };
        await writeAtomic(join(staging, 'version.json'), `${JSON.stringify(record, null, 2)}\n`);
        await rename(staging, join(versionsDir, version));
        return this.#toVersion(record, await this.#aliases(name));
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  async models(): Promise<string[]> {
    const entries = await readdir(this.#root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    const names: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      if ((await this.#versionNumbers(e.name)).length > 0) names.push(e.name);
    }
    return names.sort();
  }

  async versions(name: string): Promise<ModelVersion[]> {
    checkModelName(name);
    await this.#requireModel(name);
    const aliases = await this.#aliases(name);
    const out: ModelVersion[] = [];
    for (const n of await this.#versionNumbers(name)) {
      out.push(this.#toVersion(await this.#record(name, String(n)), aliases));
    }
    return out;
  }

  async version(name: string, version: string): Promise<ModelVersion> {
    checkModelName(name);
    checkVersion(version);
    await this.#requireModel(name);
    return this.#toVersion(await this.#record(name, version), await this.#aliases(name));
  }

  async byAlias(name: string, alias: string): Promise<ModelVersion | undefined> {
    checkModelName(name);
    checkAlias(alias);
    const aliases = await this.#aliases(name);
    const version = aliases[alias];
    if (version === undefined) return undefined;
    return this.#toVersion(await this.#record(name, version), aliases);
  }

  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkModelName(name);
    checkAlias(alias);
    checkVersion(version);
    await withLock(this.#lockPath(), async () => {
      await this.#requireModel(name);
      await this.#record(name, version); // must exist
      const aliases = await this.#aliases(name);
      aliases[alias] = version;
      await writeAtomic(this.#aliasesPath(name), `${JSON.stringify(aliases, null, 2)}\n`);
    });
  }

  async deleteAlias(name: string, alias: string): Promise<void> {
    checkModelName(name);
    checkAlias(alias);
    await withLock(this.#lockPath(), async () => {
      await this.#requireModel(name);
      const aliases = await this.#aliases(name);
      if (aliases[alias] === undefined) return;
      delete aliases[alias];
      await writeAtomic(this.#aliasesPath(name), `${JSON.stringify(aliases, null, 2)}\n`);
    });
  }

  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    checkModelName(name);
    checkVersion(version);
    checkTagKey(key);
    checkTagValue(key, value);
    await withLock(this.#lockPath(), async () => {
      await this.#requireModel(name);
      const record = await this.#record(name, version);
      record.tags[key] = value;
      await writeAtomic(
        this.#versionPath(name, version, 'version.json'),
        `${JSON.stringify(record, null, 2)}\n`,
      );
    });
  }

  async files(name: string, version: string): Promise<Map<string, Uint8Array>> {
    checkModelName(name);
    checkVersion(version);
    await this.#requireModel(name);
    await this.#record(name, version);
    const dir = this.#versionPath(name, version, 'files');
    const files = await readTree(dir);
    checkModelFiles(name, files, dir);
    return files;
  }

  async close(): Promise<void> {}

  // Internals

  #lockPath(): string {
    return join(this.#root, '.lock');
  }

  #aliasesPath(name: string): string {
    return join(this.#root, name, 'aliases.json');
  }

  #versionPath(name: string, version: string, ...rest: string[]): string {
    return join(this.#root, name, 'versions', version, ...rest);
  }

  async #requireModel(name: string): Promise<void> {
    // A model exists once its first version does (its directory may come first, or stay after a
    // createVersion that failed).
    if ((await this.#versionNumbers(name)).length === 0) {
      unknown(`model "${name}" is not registered (registry: ${this.description})`);
    }
  }

  async #versionNumbers(name: string): Promise<number[]> {
    const entries = await readdir(join(this.#root, name, 'versions')).catch(() => [] as string[]);
    return entries
      .filter((e) => /^[1-9][0-9]*$/.test(e))
      .map(Number)
      .sort((a, b) => a - b);
  }

  async #aliases(name: string): Promise<Record<string, string>> {
    const path = this.#aliasesPath(name);
    let json: unknown;
    try {
      json = await readJson(path);
    } catch (err) {
      throw new VigilError('VIGIL_ERR_BAD_MODEL', `${path}: not valid JSON (${(err as Error).message})`);
    }
    if (json === undefined) return {};
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw new VigilError('VIGIL_ERR_BAD_MODEL', `${path}: not a JSON object`);
    }
    return json as Record<string, string>;
  }

  async #record(name: string, version: string): Promise<VersionRecord> {
    const path = this.#versionPath(name, version, 'version.json');
    let json: unknown;
    try {
      json = await readJson(path);
    } catch (err) {
      throw new VigilError('VIGIL_ERR_BAD_MODEL', `${path}: not valid JSON (${(err as Error).message})`);
    }
    if (json === undefined) unknown(`model "${name}" has no version ${version}`);
    const r = json as VersionRecord;
    if (typeof r !== 'object' || r === null || r.version !== version || typeof r.tags !== 'object') {
      throw new VigilError('VIGIL_ERR_BAD_MODEL', `${path}: not a version record`);
    }
    return r;
  }

  #toVersion(r: VersionRecord, aliases: Record<string, string>): ModelVersion {
    return {
      name: r.name,
      version: r.version,
      createdAt: r.createdAt,
      ...(r.runId === undefined ? {} : { runId: r.runId }),
      tags: { ...r.tags },
      aliases: Object.keys(aliases)
        .filter((a) => aliases[a] === r.version)
        .sort(),
      source: this.#versionPath(r.name, r.version, 'files'),
    };
  }

  async #runDir(run: TrackingRun): Promise<string> {
    if (!/^[A-Za-z0-9_%-]+$/.test(run.experimentId) || !/^[0-9a-f]{32}$/.test(run.id)) {
      unknown(`tracking run ${run.experimentId}/${run.id} does not exist`);
    }
    const dir = join(this.#root, '.tracking', run.experimentId, run.id);
    if ((await stat(join(dir, 'run.json')).catch(() => undefined)) === undefined) {
      unknown(`tracking run ${run.id} does not exist (registry: ${this.description})`);
    }
    return dir;
  }
}

/** Reads a run's files back, for tests and tools: what `<root>/.tracking` holds for it. */
export async function readFileRun(
  root: string,
  run: TrackingRun,
): Promise<{
  run: RunRecord;
  params: Record<string, string>;
  metrics: MetricRecord[];
  artifacts: Map<string, Uint8Array>;
}> {
  const dir = join(root, '.tracking', run.experimentId, run.id);
  const record = (await readJson(join(dir, 'run.json'))) as RunRecord | undefined;
  if (record === undefined) unknown(`tracking run ${run.id} does not exist`);
  const params = ((await readJson(join(dir, 'params.json'))) ?? {}) as Record<string, string>;
  const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() => '');
  const metrics = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = JSON.parse(l) as MetricRecord;
      return { ...m, value: Number(m.value) };
    });
  const artifacts = await readTree(join(dir, 'artifacts')).catch(() => new Map<string, Uint8Array>());
  return { run: record as RunRecord, params, metrics, artifacts };
}
