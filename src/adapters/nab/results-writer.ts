/**
 * Writes a detector's raw results for one file in NAB's format (`timestamp,value,anomaly_score,label`,
 * label 1 inside a window) at `<dir>/<category>/<detector>_<file>.csv`, where NAB's scorer and
 * `readNabResults` find them when `dir` is `<results>/<detector>`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { NabCorpusFile } from './corpus-loader.ts';
import { resultFileName } from './results-reader.ts';

/** Returns the path written. */
export async function writeNabResults(
  dir: string,
  detector: string,
  file: NabCorpusFile,
  scores: ArrayLike<number>,
): Promise<string> {
  const path = join(dir, resultFileName(detector, file.name));
  const label = new Uint8Array(file.length);
  for (const w of file.windows) label.fill(1, w.start, w.end + 1);
  const lines = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < file.length; i++) {
    lines.push(`${file.timestamps[i]},${file.values[i]},${scores[i]},${label[i]}`);
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${lines.join('\n')}\n`);
  return path;
}
