/**
 * Reads a detector's raw results in NAB's layout,
 * `<results>/<detector>/<category>/<detector>_<file>.csv` (or `.csv.gz`), taking the
 * `anomaly_score` column. Rows pair with the data file's rows by position; other columns
 * (`label`, `S(t)_*`) are ignored, as NAB's scorer ignores them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NabFile } from '../../core/bench/nab/nab-file.ts';
import { VigilError } from '../../core/errors.ts';
import { columnIndex, readCsvTable } from './csv-table.ts';

/** `<category>/<detector>_<file>.csv`: where a file's results sit under the detector's folder. */
export function resultFileName(detector: string, file: string): string {
  const slash = file.lastIndexOf('/');
  return `${file.slice(0, slash + 1)}${detector}_${file.slice(slash + 1)}`;
}

/** One array of anomaly scores per corpus file, in the order of `files`. */
export async function readNabResults(
  resultsRoot: string,
  detector: string,
  files: readonly NabFile[],
): Promise<Float64Array[]> {
  return Promise.all(
    files.map(async (file) => {
      const base = join(resultsRoot, detector, resultFileName(detector, file.name));
      const path = existsSync(base) ? base : `${base}.gz`;
      if (!existsSync(path))
        throw new VigilError('VIGIL_ERR_NOT_FOUND', `${base}(.gz): no results for ${file.name}`);
      const table = await readCsvTable(path);
      const col = columnIndex(table, 'anomaly_score', path);
      if (table.lines.length !== file.length) {
        throw new VigilError(
          'VIGIL_ERR_BAD_CSV',
          `${path}: ${table.lines.length} rows, but ${file.name} has ${file.length}`,
        );
      }
      const scores = new Float64Array(file.length);
      for (let i = 0; i < file.length; i++) scores[i] = Number(table.lines[i]!.split(',')[col]);
      return scores;
    }),
  );
}
