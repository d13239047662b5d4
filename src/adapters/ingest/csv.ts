/**
 * `timestamp,value` CSV, as NAB and most exports write it. The header row is optional; timestamps
 * may be epoch ms, RFC 3339, or `YYYY-MM-DD HH:MM:SS[.fff]` without a zone (read as UTC, as NAB does).
 */
import { VigilError } from '../../core/errors.ts';
import { parseTimestamp } from '../../core/time.ts';

export interface CsvSeries {
  ts: Float64Array;
  values: Float64Array;
  /** The timestamp column as written, for output that echoes it. */
  rawTs: string[];
}

const NAIVE = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)$/;

export function parseCsvTimestamp(s: string): number {
  const m = NAIVE.exec(s);
  if (m !== null) return parseTimestamp(`${m[1]}T${m[2]}Z`);
  if (/^-?\d+(\.\d+)?$/.test(s)) return parseTimestamp(Number(s));
  return parseTimestamp(s);
}

export function parseTimestampValueCsv(text: string, name = 'input'): CsvSeries {
  const lines = text.split(/\r?\n/);
  const ts: number[] = [];
  const values: number[] = [];
  const rawTs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const comma = line.indexOf(',');
    const fail = (why: string): never => {
      throw new VigilError('VIGIL_ERR_BAD_CSV', `${name} line ${i + 1}: ${why}`, {
        location: { line: i + 1 },
      });
    };
    if (comma < 0) fail('expected two columns `timestamp,value`');
    const a = line.slice(0, comma).trim();
    const b = line.slice(comma + 1).trim();
    const t = parseCsvTimestamp(a);
    const v = Number(b);
    if (Number.isNaN(t)) {
      if (ts.length === 0 && i === lines.findIndex((l) => l.trim() !== '')) continue; // header
      fail(`timestamp ${JSON.stringify(a)} is not epoch ms, RFC 3339 or YYYY-MM-DD HH:MM:SS`);
    }
    if (b === '' || !Number.isFinite(v)) fail(`value ${JSON.stringify(b)} is not a finite number`);
    ts.push(t);
    values.push(v);
    rawTs.push(a);
  }
  return { ts: Float64Array.from(ts), values: Float64Array.from(values), rawTs };
}
