/** Reads a corpus JSON file; a missing or malformed one is VIGIL_ERR_BAD_JSON naming the path. */
import { readFile } from 'node:fs/promises';
import { VigilError } from '../../core/errors.ts';

export async function readJsonObject(path: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new VigilError(
      'VIGIL_ERR_BAD_JSON',
      `${path}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
}
