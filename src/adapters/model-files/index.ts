/**
 * The file model registry (registry.ts) and model directories on disk (model-dir.ts): the
 * embedded server's registry under `<dataDir>/models`, and what `models.path` / MODEL_PATH load.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ModelRegistry } from '../../ports/model-registry.ts';
import { FileModelRegistry } from './registry.ts';

export { type ModelDir, readModelDir, writeModelDir } from './model-dir.ts';
export { FileModelRegistry, type MetricRecord, type RunRecord, readFileRun } from './registry.ts';

/** The file registry rooted at `root` (made when missing). */
export async function openFileModelRegistry(root: string): Promise<ModelRegistry> {
  const dir = resolve(root);
  await mkdir(dir, { recursive: true });
  return new FileModelRegistry(dir);
}
