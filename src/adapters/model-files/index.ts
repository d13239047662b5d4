/**
 * The file model registry (registry.ts) and model directories on disk (model-dir.ts): the
 * embedded server's registry under `<dataDir>/models`, and what `models.path` / MODEL_PATH load.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ModelRegistry } from '../../ports/model-registry.ts';
import { FileModelRegistry } from './registry.ts';

export { type ModelDir, readModelDir, writeModelDir } from './model-dir.ts';
export { FileModelRegistry, type MetricRecord, type RunRecord, readFileRun } from './registry.ts';

/** Staged versions older than this are left over from a writer that died; opening removes them. */
const STALE_STAGING_MS = 3_600_000;

/** The file registry rooted at `root` (made when missing). */
export async function openFileModelRegistry(root: string): Promise<ModelRegistry> {
  const dir = resolve(root);
  await mkdir(dir, { recursive: true });
  const staging = join(dir, '.staging');
  for (const entry of await readdir(staging).catch(() => [] as string[])) {
    const st = await stat(join(staging, entry)).catch(() => undefined);
    if (st !== undefined && Date.now() - st.mtimeMs > STALE_STAGING_MS) {
      await rm(join(staging, entry), { recursive: true, force: true });
    }
  }
  return new FileModelRegistry(dir);
}
