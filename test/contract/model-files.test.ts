/**
 * The model registry contract on the file registry (src/adapters/model-files), each test in a
 * fresh directory; stored state is read straight from the files. Also: two registries on one
 * directory never hand out one version twice, and writer processes beside a reading one (`vigil
 * train` beside a server) never show it a half-written version.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
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

describe('file registry: writer processes beside a reader', () => {
  it('versions written by three processes get distinct numbers, and a reader never sees one half written', async () => {
    const root = await tempRoot();
    const module = pathToFileURL(join(import.meta.dirname, '../../src/adapters/model-files/index.ts')).href;
    const writer = (id: number) =>
      new Promise<number | null>((resolve, reject) => {
        const script = `
          import { openFileModelRegistry } from ${JSON.stringify(module)};
          const r = await openFileModelRegistry(${JSON.stringify(root)});
          const spec = ${JSON.stringify(new TextDecoder().decode(modelFiles('shared').get('model.json')))};
          for (let i = 0; i < 5; i++) {
            await r.createVersion('shared', new Map([
              ['model.json', new TextEncoder().encode(spec)],
              ['payload.bin', new Uint8Array(256 * 1024).fill(${id})],
            ]), { tags: { writer: '${id}' } });
          }`;
        const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
        child.on('error', reject);
        child.on('exit', resolve);
      });
    try {
      const reader = await openFileModelRegistry(root);
      let done = false;
      const writers = Promise.all([1, 2, 3].map(writer)).finally(() => {
        done = true;
      });
      while (!done) {
        const versions = await reader.versions('shared').catch(() => []);
        for (const v of versions) {
          const files = await reader.files('shared', v.version);
          const payload = files.get('payload.bin')!;
          expect(payload.length).toBe(256 * 1024);
          expect(payload.every((b) => b === Number(v.tags.writer))).toBe(true);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await writers).toEqual([0, 0, 0]);
      const versions = await reader.versions('shared');
      expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
      expect(versions.filter((v) => v.tags.writer === '2')).toHaveLength(5);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  }, 120_000);
});
