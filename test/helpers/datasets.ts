/**
 * Where tests find their data. NAB v1.1's data, labels and config are vendored under
 * bench/datasets/nab, so a clone runs those tests alone. Larger shared data lives beside the
 * repository in `../shared/datasets` (NAB's raw published detector results, ucr-dev): a test that
 * needs it uses `describeShared`, which skips it with a message naming the missing folder — except
 * under CI (`CI` set), where the folder is expected and its absence fails the run.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe } from 'vitest';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

/** NAB v1.1 as vendored: data/, labels/, config/, results/final_results.json. */
export const NAB_CORPUS = join(REPO_ROOT, 'bench/datasets/nab');

/** The shared datasets folder beside the repository. */
export const SHARED_DATASETS = resolve(REPO_ROOT, '../shared/datasets');

/** NAB's raw per-row results of published detectors (not vendored). */
export const NAB_RESULTS = join(SHARED_DATASETS, 'nab/results');

/** True where a test needing `dir` should skip: the folder is absent and this is not CI. */
export function sharedAbsent(dir: string): boolean {
  return !existsSync(dir) && (process.env.CI === undefined || process.env.CI === '');
}

/**
 * `describe` when `dir` exists; else, outside CI, `describe.skip` under a title naming what is
 * missing; under CI, a suite that fails saying so.
 */
export function describeShared(dir: string, title: string, body: () => void): void {
  if (existsSync(dir)) {
    describe(title, body);
  } else if (process.env.CI !== undefined && process.env.CI !== '') {
    describe(title, () => {
      throw new Error(`${dir} is missing: CI runs with ../shared beside the repository`);
    });
  } else {
    describe.skip(`${title} (skipped: ${dir} is absent; it lives in ../shared beside the repository)`, body);
  }
}
