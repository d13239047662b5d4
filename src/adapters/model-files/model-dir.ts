/**
 * A model directory on disk (core/models/model.ts: `model.json` plus optional files): what
 * `vigil models export` writes and `models.path` / MODEL_PATH / `vigil models import` read.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { VigilError } from '../../core/errors.ts';
import { decodeModelSpec, MODEL_FILE, type ModelSpec } from '../../core/models/model.ts';
import { checkArtifactPath } from '../../core/models/registry-names.ts';
import { readTree, writeTree } from './files.ts';

export interface ModelDir {
  spec: ModelSpec;
  /** Every file of the directory by relative path, model.json included. */
  files: Map<string, Uint8Array>;
}

/**
 * Reads the model directory at `path`; a missing directory, a missing or corrupt model.json is
 * VIGIL_ERR_BAD_MODEL naming the path.
 */
export async function readModelDir(path: string): Promise<ModelDir> {
  const dir = resolve(path);
  const st = await stat(dir).catch(() => undefined);
  if (st === undefined || !st.isDirectory()) {
    throw new VigilError('VIGIL_ERR_BAD_MODEL', `${dir}: not a model directory (no such directory)`);
  }
  const files = await readTree(dir);
  for (const p of files.keys()) checkArtifactPath(p, `${dir}/${p}`);
  const bytes = files.get(MODEL_FILE);
  if (bytes === undefined) {
    throw new VigilError(
      'VIGIL_ERR_BAD_MODEL',
      `${dir}/${MODEL_FILE}: missing (a model directory must hold model.json)`,
    );
  }
  return { spec: decodeModelSpec(bytes, `${dir}/${MODEL_FILE}`), files };
}

/**
 * Writes `files` as the model directory `path`, which must not exist or be empty (an export never
 * mixes with other files): VIGIL_ERR_BAD_MODEL otherwise.
 */
export async function writeModelDir(path: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  const dir = resolve(path);
  const st = await stat(dir).catch(() => undefined);
  if (st !== undefined) {
    const existing = st.isDirectory() ? await readTree(dir) : undefined;
    if (existing === undefined || existing.size > 0) {
      throw new VigilError('VIGIL_ERR_BAD_MODEL', `${dir}: exists and is not an empty directory`);
    }
  }
  await writeTree(dir, files);
}
