/**
 * Contract of the ModelRegistry port (src/ports/model-registry.ts). The file registry and MLflow
 * run this same suite (model-files.test.ts, mlflow.test.ts), so embedded and scaled-out Vigil
 * register, alias and load models alike. What the registry wrote is also read back through the
 * backing store itself (files on disk, MLflow's own REST API) by the hooks below, so a registry
 * that only agreed with itself would fail.
 *
 * Every test uses model and experiment names of its own (a shared MLflow server keeps them all).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  encodeModelSpec,
  MODEL_FILE,
  type ModelSpec,
  PRODUCTION_ALIAS,
} from '../../src/core/models/model.ts';
import type { ModelRegistry, TrackingRun } from '../../src/ports/model-registry.ts';

export interface StoredRun {
  status: string;
  params: Record<string, string>;
  metrics: { key: string; value: number; timestamp: number; step: number }[];
  artifacts: Map<string, Uint8Array>;
}

export interface RegistryUnderTest {
  registry: ModelRegistry;
  /** A run as the backing store holds it. */
  storedRun(run: TrackingRun): Promise<StoredRun>;
  /** A version's aliases and tags as the backing store holds them. */
  storedVersion(name: string, version: string): Promise<{ aliases: string[]; tags: Record<string, string> }>;
  /** Overwrites the version's model.json in the backing store with `bytes`; returns the path or URI an error must name. */
  corruptModelFile(name: string, version: string, bytes: Uint8Array): Promise<string>;
  close(): Promise<void>;
}

export const testSpec = (name: string, alpha = 0.02): ModelSpec => ({
  format: 'vigil-model',
  formatVersion: 1,
  name,
  selector: '{__name__="cpu"}',
  pipeline: { detector: { name: 'ewma', params: { alpha } }, threshold: 0.99 },
});

export const modelFiles = (name: string, extra: Record<string, Uint8Array> = {}): Map<string, Uint8Array> =>
  new Map([[MODEL_FILE, encodeModelSpec(testSpec(name))], ...Object.entries(extra)]);

const unique = (what: string): string => `t-${what}-${randomUUID().slice(0, 8)}`;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as { code?: string }).code ?? `no code: ${(err as Error).message}`;
  }
  return 'resolved';
}

async function errorOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code?: string }).code ?? 'none', message: (err as Error).message };
  }
  return { code: 'resolved', message: '' };
}

export function modelRegistryContract(label: string, open: () => Promise<RegistryUnderTest>): void {
  describe(`model registry contract: ${label}`, () => {
    const withRegistry = (body: (t: RegistryUnderTest) => Promise<void>) => async () => {
      const t = await open();
      try {
        await body(t);
      } finally {
        await t.close();
      }
    };

    it(
      'numbers versions 1, 2, … in creation order; lists models sorted and versions oldest first',
      withRegistry(async ({ registry }) => {
        const a = unique('a');
        const b = `${a}-b`;
        const v1 = await registry.createVersion(a, modelFiles(a), { description: 'first' });
        const v2 = await registry.createVersion(a, modelFiles(a));
        await registry.createVersion(b, modelFiles(b));
        expect([v1.version, v2.version]).toEqual(['1', '2']);
        expect(v1).toMatchObject({ name: a, tags: {}, aliases: [] });
        expect(v1.runId).toBeUndefined();
        expect(v1.source).not.toBe('');
        expect(v2.createdAt).toBeGreaterThanOrEqual(v1.createdAt);
        const versions = await registry.versions(a);
        expect(versions.map((v) => v.version)).toEqual(['1', '2']);
        expect(await registry.version(a, '2')).toMatchObject({ name: a, version: '2' });
        const models = await registry.models();
        expect(models).toContain(a);
        expect(models).toContain(b);
        expect(models).toEqual([...models].sort());
        expect((await registry.createVersion(b, modelFiles(b))).version).toBe('2');
      }),
    );

    it(
      'refuses bad names and bad artifacts with VIGIL_ERR_BAD_MODEL, creating nothing',
      withRegistry(async ({ registry }) => {
        const a = unique('bad');
        expect(await codeOf(registry.createVersion('../x', modelFiles('x')))).toBe('VIGIL_ERR_BAD_MODEL');
        const noSpec = await errorOf(registry.createVersion(a, new Map([['other.txt', text('x')]])));
        expect(noSpec.code).toBe('VIGIL_ERR_BAD_MODEL');
        expect(noSpec.message).toContain(MODEL_FILE);
        const wrongName = await errorOf(registry.createVersion(a, modelFiles(`${a}-other`)));
        expect(wrongName.code).toBe('VIGIL_ERR_BAD_MODEL');
        expect(wrongName.message).toContain(`${a}-other`);
        const corrupt = await errorOf(registry.createVersion(a, new Map([[MODEL_FILE, text('{"format":')]])));
        expect(corrupt.code).toBe('VIGIL_ERR_BAD_MODEL');
        expect(corrupt.message).toContain(MODEL_FILE);
        expect(await codeOf(registry.createVersion(a, modelFiles(a, { '../escape': text('x') })))).toBe(
          'VIGIL_ERR_BAD_MODEL',
        );
        expect(await codeOf(registry.versions(a))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await registry.models()).not.toContain(a);
      }),
    );

    it(
      'aliases: byAlias is undefined until set; setAlias moves it atomically; unknown versions are refused',
      withRegistry(async (t) => {
        const { registry } = t;
        const a = unique('alias');
        expect(await registry.byAlias(a, PRODUCTION_ALIAS)).toBeUndefined(); // no such model
        await registry.createVersion(a, modelFiles(a));
        await registry.createVersion(a, modelFiles(a));
        expect(await registry.byAlias(a, PRODUCTION_ALIAS)).toBeUndefined(); // not set yet

        await registry.setAlias(a, PRODUCTION_ALIAS, '1');
        expect(await registry.byAlias(a, PRODUCTION_ALIAS)).toMatchObject({
          version: '1',
          aliases: [PRODUCTION_ALIAS],
        });
        expect((await t.storedVersion(a, '1')).aliases).toEqual([PRODUCTION_ALIAS]);

        await registry.setAlias(a, PRODUCTION_ALIAS, '2');
        await registry.setAlias(a, 'previous', '1');
        expect((await registry.byAlias(a, PRODUCTION_ALIAS))?.version).toBe('2');
        const [v1, v2] = await registry.versions(a);
        expect(v1?.aliases).toEqual(['previous']);
        expect(v2?.aliases).toEqual([PRODUCTION_ALIAS]);
        expect((await t.storedVersion(a, '2')).aliases).toEqual([PRODUCTION_ALIAS]);
        expect((await t.storedVersion(a, '1')).aliases).toEqual(['previous']);

        // Rollback is moving the alias back.
        await registry.setAlias(a, PRODUCTION_ALIAS, '1');
        expect((await registry.byAlias(a, PRODUCTION_ALIAS))?.version).toBe('1');

        expect(await codeOf(registry.setAlias(a, PRODUCTION_ALIAS, '9'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.setAlias(unique('none'), PRODUCTION_ALIAS, '1'))).toBe(
          'VIGIL_ERR_UNKNOWN_MODEL',
        );
        expect(await codeOf(registry.setAlias(a, 'v1', '1'))).toBe('VIGIL_ERR_BAD_MODEL');
        expect(await codeOf(registry.setAlias(a, 'bad alias', '1'))).toBe('VIGIL_ERR_BAD_MODEL');
        expect((await registry.byAlias(a, PRODUCTION_ALIAS))?.version).toBe('1'); // unchanged

        await registry.deleteAlias(a, 'previous');
        expect(await registry.byAlias(a, 'previous')).toBeUndefined();
        expect((await registry.version(a, '1')).aliases).toEqual([PRODUCTION_ALIAS]);
        expect(await codeOf(registry.deleteAlias(unique('none'), 'previous'))).toBe(
          'VIGIL_ERR_UNKNOWN_MODEL',
        );
      }),
    );

    it(
      'tags: given at creation and set later, visible on the version and in the store',
      withRegistry(async (t) => {
        const { registry } = t;
        const a = unique('tags');
        const v = await registry.createVersion(a, modelFiles(a), {
          tags: { candidate: 'true', score: '0.5' },
        });
        expect(v.tags).toEqual({ candidate: 'true', score: '0.5' });
        await registry.setVersionTag(a, '1', 'score', '0.75');
        await registry.setVersionTag(a, '1', 'note', 'unicode ✓ and "quotes"');
        const tags = { candidate: 'true', score: '0.75', note: 'unicode ✓ and "quotes"' };
        expect((await registry.version(a, '1')).tags).toEqual(tags);
        expect((await t.storedVersion(a, '1')).tags).toMatchObject(tags);
        expect(await codeOf(registry.setVersionTag(a, '7', 'k', 'v'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.setVersionTag(a, '1', '', 'v'))).toBe('VIGIL_ERR_BAD_MODEL');
      }),
    );

    it(
      'files round-trip: nested paths, binary bytes, an empty file',
      withRegistry(async ({ registry }) => {
        const a = unique('files');
        const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
        const given = modelFiles(a, {
          'report.json': text('{"score": 1}\n'),
          'plots/backtest run.svg': text('<svg/>'),
          'deep/a/b/c.bin': binary,
          'empty.txt': new Uint8Array(0),
        });
        const v = await registry.createVersion(a, given);
        const back = await registry.files(a, v.version);
        expect([...back.keys()].sort()).toEqual([...given.keys()].sort());
        for (const [path, bytes] of given)
          expect(Buffer.from(back.get(path)!).equals(Buffer.from(bytes))).toBe(true);
      }),
    );

    it(
      'a corrupt model.json in a version is refused naming its path; nothing else changes',
      withRegistry(async (t) => {
        const { registry } = t;
        const a = unique('corrupt');
        await registry.createVersion(a, modelFiles(a));
        await registry.createVersion(a, modelFiles(a));
        await registry.setAlias(a, PRODUCTION_ALIAS, '1');
        const where = await t.corruptModelFile(a, '2', text('{"format": "vigil-model", "formatVersion": 1'));
        const err = await errorOf(registry.files(a, '2'));
        expect(err.code).toBe('VIGIL_ERR_BAD_MODEL');
        expect(err.message).toContain(where);
        expect(err.message).toContain(MODEL_FILE);
        expect((await registry.byAlias(a, PRODUCTION_ALIAS))?.version).toBe('1');
        expect((await registry.files(a, '1')).has(MODEL_FILE)).toBe(true);
        // A model.json naming another model is as bad as an unparsable one.
        await t.corruptModelFile(a, '2', encodeModelSpec(testSpec(`${a}-else`)));
        expect(await codeOf(registry.files(a, '2'))).toBe('VIGIL_ERR_BAD_MODEL');
      }),
    );

    it(
      'unknown models and versions are VIGIL_ERR_UNKNOWN_MODEL',
      withRegistry(async ({ registry }) => {
        const none = unique('none');
        expect(await codeOf(registry.versions(none))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.version(none, '1'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.files(none, '1'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        const a = unique('known');
        await registry.createVersion(a, modelFiles(a));
        expect(await codeOf(registry.version(a, '2'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.files(a, '2'))).toBe('VIGIL_ERR_UNKNOWN_MODEL');
        expect(await codeOf(registry.version(a, 'x'))).toBe('VIGIL_ERR_BAD_MODEL');
      }),
    );

    it(
      'tracking: runs hold params, metrics with step and timestamp, artifacts; a version records its run',
      withRegistry(async (t) => {
        const { registry } = t;
        const experiment = unique('exp');
        const run = await registry.startRun(experiment, 'train cpu', { source: 'contract' });
        expect(run.id).not.toBe('');
        const again = await registry.startRun(experiment, 'second');
        expect(again.experimentId).toBe(run.experimentId);
        expect(again.id).not.toBe(run.id);

        await registry.logParams(run, { detector: 'ewma', alpha: '0.02' });
        await registry.logMetrics(run, { score: 0.5, alerts: 3 }, { timestamp: 1_700_000_000_000, step: 1 });
        await registry.logMetrics(run, { score: 0.75 }, { timestamp: 1_700_000_001_000, step: 2 });
        await registry.logArtifact(run, 'plots/backtest.svg', text('<svg/>'));
        const a = unique('run');
        const v = await registry.createVersion(a, modelFiles(a), { run });
        expect(v.runId).toBe(run.id);
        expect((await registry.version(a, v.version)).runId).toBe(run.id);
        await registry.endRun(run, 'FINISHED');
        await registry.endRun(again, 'FAILED');

        const stored = await t.storedRun(run);
        expect(stored.status).toBe('FINISHED');
        expect(stored.params).toEqual({ detector: 'ewma', alpha: '0.02' });
        const score = stored.metrics.filter((m) => m.key === 'score').sort((x, y) => x.step - y.step);
        expect(score).toEqual([
          { key: 'score', value: 0.5, timestamp: 1_700_000_000_000, step: 1 },
          { key: 'score', value: 0.75, timestamp: 1_700_000_001_000, step: 2 },
        ]);
        expect(stored.metrics.find((m) => m.key === 'alerts')?.value).toBe(3);
        expect(new TextDecoder().decode(stored.artifacts.get('plots/backtest.svg'))).toBe('<svg/>');
        expect(stored.artifacts.has(`model/${MODEL_FILE}`)).toBe(true);
        expect((await t.storedRun(again)).status).toBe('FAILED');
        expect(
          await codeOf(
            registry.logParams({ id: 'f'.repeat(32), experimentId: run.experimentId }, { a: 'b' }),
          ),
        ).toBe('VIGIL_ERR_UNKNOWN_MODEL');
      }),
    );
  });
}
