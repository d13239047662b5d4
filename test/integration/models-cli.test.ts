/**
 * `vigil models …` as a user runs it, on the file registry (a fresh data dir) and on a real MLflow
 * (scripts/services/mlflow.sh): import, list, versions, show, alias (rollback), export, and the
 * exit codes of bad input (2), unknown models/versions/aliases (3) and a registry that is down (4).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelDir } from '../../src/adapters/model-files/index.ts';
import { encodeModelSpec } from '../../src/core/models/model.ts';
import { testSpec } from '../contract/model-registry.contract.ts';
import { runVigil } from '../helpers/cli.ts';
import { service } from '../support/services.ts';

let tmp = '';

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'vigil-models-cli-'));
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A model directory for `name` with a nested binary file; returns its path. */
async function modelDir(name: string, alpha: number): Promise<string> {
  const dir = join(tmp, `src-${randomUUID()}`);
  await mkdir(join(dir, 'plots'), { recursive: true });
  await writeFile(join(dir, 'model.json'), encodeModelSpec(testSpec(name, alpha)));
  await writeFile(join(dir, 'plots', 'backtest.bin'), Uint8Array.from([0, 255, 1, 254, 10, 13]));
  return dir;
}

interface Target {
  label: string;
  args: () => string[];
  /** Overwrites model.json of `name`'s `version` in the registry's own store; the path or URI errors must name. */
  corrupt(name: string, version: string, bytes: string): Promise<string>;
}

const files: Target = {
  label: 'files registry',
  args: () => ['-d', join(tmp, 'data')],
  async corrupt(name, version, bytes) {
    const path = join(tmp, 'data', 'models', name, 'versions', version, 'files', 'model.json');
    await writeFile(path, bytes);
    return path;
  },
};

let mlflowUrl = '';
const mlflow: Target = {
  label: 'MLflow',
  args: () => ['--registry', 'mlflow', '--mlflow-url', mlflowUrl],
  async corrupt(name, version, bytes) {
    const res = await fetch(
      `${mlflowUrl}/api/2.0/mlflow/model-versions/get-download-uri?name=${name}&version=${version}`,
    );
    const { artifact_uri } = (await res.json()) as { artifact_uri: string };
    const path = artifact_uri.replace(/^mlflow-artifacts:\/*/, '');
    const put = await fetch(`${mlflowUrl}/api/2.0/mlflow-artifacts/artifacts/${path}/model.json`, {
      method: 'PUT',
      body: bytes,
    });
    expect(put.ok).toBe(true);
    return `${artifact_uri}/model.json`;
  },
};

describe.each([files, mlflow])('vigil models on the $label', (target) => {
  beforeAll(() => {
    if (target === mlflow) mlflowUrl = service('mlflow').VIGIL_MLFLOW_URL!;
  }, 600_000);

  const vigil = (...args: string[]) => runVigil(['models', ...args, ...target.args()]);

  it('imports, lists, shows, rolls back by moving the alias, and exports a loadable directory', async () => {
    const name = `cli-${randomUUID().slice(0, 8)}`;
    const first = await vigil('import', await modelDir(name, 0.1));
    expect(first).toMatchObject({ code: 0, out: '1\n' });
    const second = await vigil('import', await modelDir(name, 0.2), '--name', name, '--alias', 'production');
    expect(second).toMatchObject({ code: 0, out: '2\n' });

    const list = await vigil('list');
    expect(list.code).toBe(0);
    expect(list.out.split('\n')).toContain(`${name}\t2\t2`);

    const versions = await vigil('versions', name);
    expect(versions.code).toBe(0);
    const rows = versions.out
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows.map((r) => [r[0], r[2]])).toEqual([
      ['1', '-'],
      ['2', 'production'],
    ]);

    const show = await vigil('show', name);
    expect(show.code).toBe(0);
    const shown = JSON.parse(show.out);
    expect(shown).toMatchObject({ name, version: '2', aliases: ['production'] });
    expect(shown.spec.pipeline.detector.params.alpha).toBe(0.2);

    // Rollback: production back to version 1.
    const rollback = await vigil('alias', name, 'production', '1');
    expect(rollback.code).toBe(0);
    expect(rollback.err).toContain('version 1 (was 2)');
    expect(JSON.parse((await vigil('show', `${name}@production`)).out).version).toBe('1');
    expect(JSON.parse((await vigil('show', `${name}:2`)).out).spec.pipeline.detector.params.alpha).toBe(0.2);

    const out = join(tmp, `export-${randomUUID()}`);
    expect((await vigil('export', `${name}:2`, out)).code).toBe(0);
    const exported = await readModelDir(out);
    expect(exported.spec.name).toBe(name);
    expect(exported.spec.pipeline.detector.params?.alpha).toBe(0.2);
    expect([...exported.files.get('plots/backtest.bin')!]).toEqual([0, 255, 1, 254, 10, 13]);
    // An export never mixes into a directory that holds files.
    expect((await vigil('export', `${name}:2`, out)).code).toBe(2);
  }, 240_000);

  it('exit codes: 3 for unknown models, versions and aliases; 2 for bad input; nothing changes', async () => {
    const name = `cli-${randomUUID().slice(0, 8)}`;
    expect((await vigil('import', await modelDir(name, 0.1), '--alias', 'production')).code).toBe(0);

    expect((await vigil('show', `${name}-none`)).code).toBe(3);
    expect((await vigil('versions', `${name}-none`)).code).toBe(3);
    expect((await vigil('show', `${name}:9`)).code).toBe(3);
    expect((await vigil('show', `${name}@staging`)).code).toBe(3);
    const noVersion = await vigil('alias', name, 'production', '9');
    expect(noVersion.code).toBe(3);
    expect(noVersion.err).toContain('9');
    expect(JSON.parse((await vigil('show', name)).out).version).toBe('1');

    expect((await vigil('show', `${name}@v1`)).code).toBe(2);
    expect((await vigil('show', '../etc')).code).toBe(2);
    expect((await vigil('versions')).code).toBe(2); // missing argument

    const bad = join(tmp, `bad-${randomUUID()}`);
    await mkdir(bad);
    await writeFile(join(bad, 'model.json'), '{"format": "vigil-model",');
    const refused = await vigil('import', bad, '--name', name);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain(join(bad, 'model.json'));
    const wrongName = await vigil('import', await modelDir(`${name}-x`, 0.1), '--name', name);
    expect(wrongName.code).toBe(2);
    expect((await vigil('versions', name)).out.trim().split('\n')).toHaveLength(1);

    // A corrupt artifact in the registry: refused naming it, production unchanged.
    expect((await vigil('import', await modelDir(name, 0.3))).out).toBe('2\n');
    const where = await target.corrupt(name, '2', '{"format": ');
    const corrupt = await vigil('show', `${name}:2`);
    expect(corrupt.code).toBe(2);
    expect(corrupt.err).toContain(where);
    expect((await vigil('export', `${name}:2`, join(tmp, `x-${randomUUID()}`))).code).toBe(2);
    expect(JSON.parse((await vigil('show', name)).out).version).toBe('1');
  }, 240_000);
});

describe('vigil models with MLflow down', () => {
  it('exits 4 (registry unavailable)', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await runVigil([
      'models',
      'list',
      '--registry',
      'mlflow',
      '--mlflow-url',
      `http://127.0.0.1:${port}`,
    ]);
    expect(r.code).toBe(4);
    expect(r.err).toContain('unreachable');
  }, 120_000);
});
