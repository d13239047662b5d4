/**
 * Reads NAB corpus files (vendored, bench/datasets/nab) and NAB's stored raw detector results
 * (`../shared/datasets/nab/results` beside the repository) for the detector tests. Values can be parsed the way NAB's pandas did (see `pandasParse`), which is
 * what bit-exact reproduction of the stored results needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { probationaryLength } from '../../../../src/core/bench/nab/probation.ts';
import { NAB_RESULTS, NAB_CORPUS as NAB_ROOT } from '../../../helpers/datasets.ts';

export { NAB_RESULTS, NAB_ROOT };

export interface NabFile {
  /** `category/name.csv`, as in NAB's label files. */
  path: string;
  ts: number[];
  values: Float64Array;
  min: number;
  max: number;
  probationaryLength: number;
}

/**
 * A decimal string parsed like pandas 0.2x's fast CSV parser: all digits accumulated into a double,
 * then the decimal exponent applied by binary powering, dividing or multiplying at each set bit.
 * It is sometimes one ulp off correct rounding, and NAB's stored results depend on it.
 */
export function pandasParse(s: string): number {
  let i = 0;
  let neg = false;
  if (s[i] === '-' || s[i] === '+') neg = s[i++] === '-';
  let d = 0;
  let e = 0;
  for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) d = d * 10 + (s.charCodeAt(i) - 48);
  if (s[i] === '.') {
    for (i++; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
      d = d * 10 + (s.charCodeAt(i) - 48);
      e--;
    }
  }
  if (s[i] === 'e' || s[i] === 'E') e += Number.parseInt(s.slice(i + 1), 10);
  let p = 10;
  for (let n = Math.abs(e); n > 0; n >>= 1) {
    if (n & 1) d = e < 0 ? d / p : d * p;
    p *= p;
  }
  return neg ? -d : d;
}

function parseTs(s: string): number {
  return Date.parse(`${s.replace(' ', 'T')}Z`);
}

function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(','));
}

/** One corpus file; `parse` picks pandas-style (default, for exact reproduction) or correct parsing. */
export function loadNab(path: string, parse: 'pandas' | 'exact' = 'pandas'): NabFile {
  const rows = csvRows(readFileSync(join(NAB_ROOT, 'data', path), 'utf8'));
  const values = new Float64Array(rows.length);
  const ts: number[] = [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  rows.forEach((r, i) => {
    const v = parse === 'pandas' ? pandasParse(r[1]!) : Number(r[1]);
    values[i] = v;
    ts.push(parseTs(r[0]!));
    if (v < min) min = v;
    if (v > max) max = v;
  });
  return { path, ts, values, min, max, probationaryLength: probationaryLength(rows.length) };
}

/** The `anomaly_score` column NAB stored for `detector` on `path` (`category/name.csv`). */
export function loadNabResult(detector: string, path: string): { scores: Float64Array } {
  const [cat, name] = path.split('/') as [string, string];
  const file = join(NAB_RESULTS, detector, cat, `${detector}_${name}.gz`);
  const text = gunzipSync(readFileSync(file)).toString('utf8');
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const col = lines[0]!.split(',').indexOf('anomaly_score');
  const raw = lines.slice(1).map((l) => l.split(',')[col]!);
  return { scores: Float64Array.from(raw, Number) };
}
