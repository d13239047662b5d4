/**
 * Reads NAB's `config/thresholds.json`: `{ "<detector>": { "<profile>": { "threshold": θ, "score": S } } }`.
 * Only the thresholds are returned; the stored `score` fields are stale for some detectors.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VigilError } from '../../core/errors.ts';

export type NabThresholds = Record<string, Record<string, number>>;

export async function readNabThresholds(root: string): Promise<NabThresholds> {
  const path = join(root, 'config', 'thresholds.json');
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<
    string,
    Record<string, { threshold?: unknown }>
  >;
  const out: NabThresholds = {};
  for (const [detector, profiles] of Object.entries(json)) {
    out[detector] = {};
    for (const [profile, entry] of Object.entries(profiles)) {
      if (typeof entry.threshold !== 'number') {
        throw new VigilError(
          'VIGIL_ERR_BAD_JSON',
          `${path}: ${detector}.${profile}.threshold must be a number`,
        );
      }
      out[detector][profile] = entry.threshold;
    }
  }
  return out;
}
