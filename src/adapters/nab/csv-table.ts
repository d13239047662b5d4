/**
 * The plain CSV of NAB's files: a header line, comma-separated fields without quoting, `\n` or
 * `\r\n` line ends, maybe no final newline. Files ending in `.gz` are gunzipped first.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { VigilError } from '../../core/errors.ts';

export interface CsvTable {
  readonly header: readonly string[];
  /** Data lines, not yet split into fields. */
  readonly lines: readonly string[];
}

export async function readCsvTable(path: string): Promise<CsvTable> {
  const raw = await readFile(path);
  const text = (path.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  if (lines.length === 0) throw new VigilError('VIGIL_ERR_BAD_CSV', `${path}: empty file`);
  const header = lines[0]!.replace(/^\uFEFF/, '').split(',');
  return { header, lines: lines.slice(1) };
}

/** Index of the named column; throws VIGIL_ERR_BAD_CSV naming the file when it is absent. */
export function columnIndex(table: CsvTable, name: string, path: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) {
    throw new VigilError(
      'VIGIL_ERR_BAD_CSV',
      `${path}: no "${name}" column (header: ${table.header.join(',')})`,
      {
        location: { line: 1, field: name },
      },
    );
  }
  return i;
}
