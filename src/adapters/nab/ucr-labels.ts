/**
 * The optional label files of a corpus built from the UCR anomaly archive
 * (../shared/datasets/ucr-dev/README.md), beside NAB's layout:
 *
 *   labels/anomaly_ranges.json   { "<category>/<file>.csv": [[first, last], …] }  the labelled
 *                                anomalies themselves (timestamps of their first and last point)
 *   splits.json                  { "<file>.csv": { "train_points": n, … } }       the first n
 *                                points are the anomaly-free training part
 *
 * Both are keyed like the data files (splits.json by file name without its category folder).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assertWindows, type LabelWindow } from '../../core/bench/nab/window.ts';
import { VigilError } from '../../core/errors.ts';
import { readJsonObject } from './read-json.ts';
import { firstRowLookup } from './row-lookup.ts';

interface SeriesRows {
  readonly name: string;
  readonly ts: Float64Array;
}

/** Each file's labelled anomaly ranges as rows, or undefined when the corpus has no such file. */
export async function readAnomalyRanges(
  root: string,
  files: readonly SeriesRows[],
): Promise<LabelWindow[][] | undefined> {
  const path = join(root, 'labels', 'anomaly_ranges.json');
  if (!existsSync(path)) return undefined;
  const json = await readJsonObject(path);
  return files.map(({ name, ts }) => {
    const entry = json[name];
    if (!Array.isArray(entry)) {
      throw new VigilError('VIGIL_ERR_BAD_JSON', `${path}: no list of ranges for "${name}"`, {
        location: { field: name },
      });
    }
    const rowOf = firstRowLookup(ts, path, name);
    const ranges = entry.map((pair: unknown, k): LabelWindow => {
      if (!Array.isArray(pair) || pair.length !== 2) {
        throw new VigilError('VIGIL_ERR_BAD_JSON', `${path}: ${name}[${k}] must be [first, last]`, {
          location: { field: name, index: k },
        });
      }
      return { start: rowOf(pair[0]), end: rowOf(pair[1]) };
    });
    assertWindows(ts.length, ranges, `${path}: ${name}`);
    return ranges;
  });
}

/** Each file's `train_points`, or undefined when the corpus has no splits.json. */
export async function readTrainPoints(
  root: string,
  files: readonly SeriesRows[],
): Promise<number[] | undefined> {
  const path = join(root, 'splits.json');
  if (!existsSync(path)) return undefined;
  const json = await readJsonObject(path);
  return files.map(({ name, ts }) => {
    const entry = json[basename(name)] ?? json[name];
    const train = (entry as { train_points?: unknown } | undefined)?.train_points;
    if (typeof train !== 'number' || !Number.isInteger(train) || train < 0 || train >= ts.length) {
      throw new VigilError(
        'VIGIL_ERR_BAD_JSON',
        `${path}: "${basename(name)}".train_points must be an integer in [0, ${ts.length - 1}]`,
        { location: { field: basename(name) } },
      );
    }
    return train;
  });
}
