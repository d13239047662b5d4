/**
 * Reads a corpus in NAB's layout:
 *
 *   data/<category>/<file>.csv          timestamp,value
 *   labels/combined_windows.json        { "<category>/<file>.csv": [[start, end], …] }
 *   labels/combined_labels.json         { "<category>/<file>.csv": [anomaly, …] }  (if no windows file)
 *   config/profiles.json                cost matrices (NAB's three when absent)
 *   labels/anomaly_ranges.json, splits.json   optional, from the UCR archive (ucr-labels.ts)
 *
 * Window boundaries and anomaly timestamps resolve to the first row whose timestamp equals them;
 * from there on everything is by row position, as in NAB. Files are returned sorted by name.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { NabFile } from '../../core/bench/nab/nab-file.ts';
import { probationaryLength } from '../../core/bench/nab/probation.ts';
import { NAB_PROFILES, type NabProfile, profilesFromJson } from '../../core/bench/nab/profile.ts';
import { assertWindows, type LabelWindow, windowsFromAnomalies } from '../../core/bench/nab/window.ts';
import { VigilError } from '../../core/errors.ts';
import { columnIndex, readCsvTable } from './csv-table.ts';
import { parseNabTimestamp } from './nab-timestamp.ts';
import { readJsonObject as readJson } from './read-json.ts';
import { firstRowLookup } from './row-lookup.ts';
import { readAnomalyRanges, readTrainPoints } from './ucr-labels.ts';

export interface NabCorpusFile extends NabFile {
  /** Timestamps as written in the data file. */
  readonly timestamps: readonly string[];
  /** The same, as epoch ms read as UTC. */
  readonly ts: Float64Array;
  readonly values: Float64Array;
  /** The labelled anomalies themselves, when the corpus has labels/anomaly_ranges.json. */
  readonly ranges?: readonly LabelWindow[];
  /** Length of the anomaly-free training part, when the corpus has splits.json. */
  readonly trainPoints?: number;
  /** The labelled anomalies' rows, when the corpus has labels/combined_labels.json. */
  readonly anomalies?: readonly number[];
}

export type NabLabelSource = 'combined_windows.json' | 'combined_labels.json';

export interface NabCorpus {
  readonly root: string;
  readonly files: readonly NabCorpusFile[];
  readonly profiles: readonly NabProfile[];
  /** Which label file the windows came from. */
  readonly labels: NabLabelSource;
  /** Whether every file has its anomaly ranges (labels/anomaly_ranges.json). */
  readonly hasRanges: boolean;
  /** Whether every file has its training part (splits.json). */
  readonly hasSplits: boolean;
}

export async function loadNabCorpus(root: string): Promise<NabCorpus> {
  const dataDir = join(root, 'data');
  if (!existsSync(dataDir)) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `${root}: not a NAB corpus (no data/ folder)`);
  }
  const names = await dataFileNames(dataDir);
  const series = await Promise.all(names.map((name) => readSeries(join(dataDir, name))));
  const labels: NabLabelSource = existsSync(join(root, 'labels', 'combined_windows.json'))
    ? 'combined_windows.json'
    : 'combined_labels.json';
  const labelPath = join(root, 'labels', labels);
  if (!existsSync(labelPath)) {
    throw new VigilError(
      'VIGIL_ERR_NOT_FOUND',
      `${root}: neither labels/combined_windows.json nor labels/combined_labels.json`,
    );
  }
  const labelJson = await readJson(labelPath);
  const anomalyPath = join(root, 'labels', 'combined_labels.json');
  const anomalyJson = existsSync(anomalyPath) ? await readJson(anomalyPath) : undefined;
  const rows = names.map((name, f) => ({ name, ts: series[f]!.ts }));
  const ranges = await readAnomalyRanges(root, rows);
  const trainPoints = await readTrainPoints(root, rows);
  const files = names.map((name, f): NabCorpusFile => {
    const { timestamps, ts, values } = series[f]!;
    const entry = labelJson[name];
    if (!Array.isArray(entry)) {
      throw new VigilError('VIGIL_ERR_BAD_JSON', `${labelPath}: no list of labels for "${name}"`, {
        location: { field: name },
      });
    }
    const rowOf = firstRowLookup(ts, labelPath, name);
    const windows: LabelWindow[] =
      labels === 'combined_windows.json'
        ? entry.map((pair: unknown, k) => {
            if (!Array.isArray(pair) || pair.length !== 2) {
              throw new VigilError('VIGIL_ERR_BAD_JSON', `${labelPath}: ${name}[${k}] must be [start, end]`, {
                location: { field: name, index: k },
              });
            }
            return { start: rowOf(pair[0]), end: rowOf(pair[1]) };
          })
        : windowsFromAnomalies(ts.length, anomalyRows(name, entry.map(rowOf)), probationaryLength(ts.length));
    assertWindows(ts.length, windows, `${labelPath}: ${name}`);
    const anomalies =
      anomalyJson === undefined ? undefined : labelledRows(anomalyJson, anomalyPath, name, ts);
    return {
      name,
      length: ts.length,
      windows,
      timestamps,
      ts,
      values,
      ...(ranges?.[f] !== undefined ? { ranges: ranges[f] } : {}),
      ...(trainPoints?.[f] !== undefined ? { trainPoints: trainPoints[f] } : {}),
      ...(anomalies !== undefined ? { anomalies } : {}),
    };
  });
  const profilesPath = join(root, 'config', 'profiles.json');
  const profiles = existsSync(profilesPath) ? profilesFromJson(await readJson(profilesPath)) : NAB_PROFILES;
  return {
    root,
    files,
    profiles,
    labels,
    hasRanges: ranges !== undefined,
    hasSplits: trainPoints !== undefined,
  };
}

/**
 * NAB moved the anomalies of one v1.1 file by hand when it made `combined_windows.json`
 * (SCORING.md §2); building windows from `combined_labels.json` repeats that, so both label
 * files give the same windows for that corpus.
 */
const NAB_ANOMALY_OVERRIDES: Readonly<Record<string, readonly number[]>> = {
  'realAWSCloudwatch/iio_us-east-1_i-a2eb1cd9_NetworkIn.csv': [249, 339],
};

function anomalyRows(name: string, rows: number[]): readonly number[] {
  const override = NAB_ANOMALY_OVERRIDES[name];
  return override !== undefined && override.length === rows.length ? override : rows;
}

/** The rows of `name`'s labelled anomalies in combined_labels.json (none when the file is not listed). */
function labelledRows(json: Record<string, unknown>, path: string, name: string, ts: Float64Array): number[] {
  const entry = json[name];
  if (entry === undefined) return [];
  if (!Array.isArray(entry)) {
    throw new VigilError('VIGIL_ERR_BAD_JSON', `${path}: no list of labels for "${name}"`, {
      location: { field: name },
    });
  }
  return [...anomalyRows(name, entry.map(firstRowLookup(ts, path, name)))];
}

/** `<category>/<file>.csv` for every CSV one level below `data/`, sorted. */
async function dataFileNames(dataDir: string): Promise<string[]> {
  const names: string[] = [];
  for (const category of await readdir(dataDir, { withFileTypes: true })) {
    if (!category.isDirectory()) continue;
    for (const file of await readdir(join(dataDir, category.name))) {
      if (file.endsWith('.csv')) names.push(`${category.name}/${file}`);
    }
  }
  return names.sort();
}

async function readSeries(
  path: string,
): Promise<{ timestamps: string[]; ts: Float64Array; values: Float64Array }> {
  const table = await readCsvTable(path);
  const tCol = columnIndex(table, 'timestamp', path);
  const vCol = columnIndex(table, 'value', path);
  const n = table.lines.length;
  const timestamps = new Array<string>(n);
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const fields = table.lines[i]!.split(',');
    timestamps[i] = fields[tCol]!;
    ts[i] = parseNabTimestamp(fields[tCol] ?? '');
    values[i] = Number(fields[vCol] ?? Number.NaN);
    if (Number.isNaN(ts[i]!) || !Number.isFinite(values[i]!) || fields[vCol]!.trim() === '') {
      throw new VigilError(
        'VIGIL_ERR_BAD_CSV',
        `${path}:${i + 2}: expected "timestamp,value", got "${table.lines[i]}"`,
        {
          location: { line: i + 2 },
        },
      );
    }
  }
  return { timestamps, ts, values };
}
