/**
 * The model registry contract on the file registry (src/adapters/model-files), each test in a
 * fresh directory; stored state is read straight from the files. Also: two registries on one
 * directory (two processes, as `vigil train` beside a server) never hand out one version twice.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openFileModelRegistry, readFileRun } from '../../src/adapters/model-files/index.ts';
import { modelFiles, modelRegistryContract } from './model-registry.contract.ts';

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'vigil-models-'));
}

modelRegistryContract('files', async () => {
  const root = await tempRoot();
  const registry = await openFileModelRegistry(root);
  return {
    registry,
    async storedRun(run) {
      const r = await readFileRun(root, run);
      return { status: r.run.status, params: r.params, metrics: r.metrics, artifacts: r.artifacts };
    },
    async storedVersion(name, version) {
      const rec = JSON.parse(await readFile(join(root, name, 'versions', version, 'version.json'), 'utf8'));
      const aliases = JSON.parse(await readFile(join(root, name, 'aliases.json'), 'utf8').catch(() => '{}'));
      return {
        tags: rec.tags,
        aliases: Object.keys(aliases).filter((k) => aliases[k] === version),
      };
    },
    async corruptModelFile(name, version, bytes) {
      const path = join(root, name, 'versions', version, 'files', 'model.json');
      await writeFile(path, bytes);
      return path;
    },
    async close() {
      await registry.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('file registry: several writers on one directory', () => {
  it('concurrent createVersion calls from separate registries get distinct consecutive versions', async () => {
    const root = await tempRoot();
    try {
      const registries = await Promise.all([0, 1, 2, 3].map(() => openFileModelRegistry(root)));
      const made = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          registries[i % 4]!.createVersion('shared', modelFiles('shared')),
        ),
      );
      expect(made.map((v) => Number(v.version)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 1),
      );
      expect((await registries[0]!.versions('shared')).length).toBe(12);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
