import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../../../src/adapters/nab/corpus-loader.ts';
import { readNabResults } from '../../../../src/adapters/nab/results-reader.ts';
import { writeNabResults } from '../../../../src/adapters/nab/results-writer.ts';
import { NAB_DIR } from '../../core/bench/nab/nab-dataset.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-nab-loader-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(path: string, text: string | Buffer): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** 40 rows at 5-minute steps from 2014-04-01 00:00, values 0..39; a repeated timestamp at rows 20/21. */
function series(): string {
  const lines = ['timestamp,value'];
  for (let i = 0; i < 40; i++) {
    const t = new Date(Date.UTC(2014, 3, 1, 0, 5 * (i > 20 ? i - 1 : i)));
    lines.push(`${t.toISOString().slice(0, 19).replace('T', ' ')},${i}`);
  }
  return lines.join('\n'); // no final newline, like some NAB files
}

describe('loadNabCorpus', () => {
  it('reads data, windows (first row of a repeated timestamp) and falls back to NAB profiles', async () => {
    const root = join(tmp, 'windows');
    write(join(root, 'data', 'cat', 'a.csv'), series());
    write(join(root, 'data', 'cat', 'README.md'), 'not data');
    write(
      join(root, 'labels', 'combined_windows.json'),
      JSON.stringify({ 'cat/a.csv': [['2014-04-01 01:40:00.000000', '2014-04-01 02:00:00.000000']] }),
    );
    const corpus = await loadNabCorpus(root);
    expect(corpus.labels).toBe('combined_windows.json');
    expect(corpus.profiles.map((p) => p.name)).toEqual([
      'standard',
      'reward_low_FP_rate',
      'reward_low_FN_rate',
    ]);
    const [file] = corpus.files;
    expect(file).toMatchObject({ name: 'cat/a.csv', length: 40, windows: [{ start: 20, end: 25 }] });
    expect(file!.timestamps[20]).toBe(file!.timestamps[21]);
    expect(file!.values[39]).toBe(39);
  });

  it('builds windows from combined_labels.json by NAB’s rule when there is no windows file', async () => {
    const root = join(tmp, 'labels');
    write(join(root, 'data', 'cat', 'a.csv'), series());
    write(
      join(root, 'labels', 'combined_labels.json'),
      JSON.stringify({ 'cat/a.csv': ['2014-04-01 02:10:00'] }),
    );
    const corpus = await loadNabCorpus(root);
    expect(corpus.labels).toBe('combined_labels.json');
    // n = 40, k = 1: L = 4, ±2 around row 27.
    expect(corpus.files[0]!.windows).toEqual([{ start: 25, end: 29 }]);
  });

  it('reproduces combined_windows.json of NAB v1.1 from its combined_labels.json', async () => {
    const root = join(tmp, 'nab-labels-only');
    mkdirSync(join(root, 'labels'), { recursive: true });
    symlinkSync(join(NAB_DIR, 'data'), join(root, 'data'));
    write(
      join(root, 'labels', 'combined_labels.json'),
      readFileSyncText(join(NAB_DIR, 'labels', 'combined_labels.json')),
    );
    const [fromLabels, fromWindows] = await Promise.all([loadNabCorpus(root), loadNabCorpus(NAB_DIR)]);
    expect(fromLabels.files.map((f) => [f.name, f.windows])).toEqual(
      fromWindows.files.map((f) => [f.name, f.windows]),
    );
  });

  it('names the problem in a bad corpus', async () => {
    await expect(loadNabCorpus(join(tmp, 'nothing'))).rejects.toThrow(/not a NAB corpus/);
    const root = join(tmp, 'bad');
    write(
      join(root, 'data', 'cat', 'a.csv'),
      'timestamp,value\n2014-04-01 00:00:00,1\n2014-04-01 00:05:00,x\n',
    );
    write(join(root, 'labels', 'combined_windows.json'), JSON.stringify({ 'cat/a.csv': [] }));
    await expect(loadNabCorpus(root)).rejects.toThrow(/a\.csv:3: expected "timestamp,value"/);
    write(join(root, 'data', 'cat', 'a.csv'), 'timestamp,value\n2014-04-01 00:00:00,1\n');
    write(
      join(root, 'labels', 'combined_windows.json'),
      JSON.stringify({ 'cat/a.csv': [['2015-01-01', 'x']] }),
    );
    await expect(loadNabCorpus(root)).rejects.toThrow(/no row has timestamp "2015-01-01"/);
    write(join(root, 'labels', 'combined_windows.json'), '{}');
    await expect(loadNabCorpus(root)).rejects.toThrow(/no list of labels for "cat\/a.csv"/);
  });
});

describe('NAB results files', () => {
  it('round-trip through writeNabResults and readNabResults, plain or gzipped', async () => {
    const root = join(tmp, 'results');
    write(join(root, 'data', 'cat', 'a.csv'), series());
    write(join(root, 'data', 'cat', 'b.csv'), series());
    write(
      join(root, 'labels', 'combined_windows.json'),
      JSON.stringify({ 'cat/a.csv': [['2014-04-01 01:40:00', '2014-04-01 02:00:00']], 'cat/b.csv': [] }),
    );
    const corpus = await loadNabCorpus(root);
    const scores = corpus.files.map((f) => Float64Array.from({ length: f.length }, (_, i) => i / 64));
    const dir = join(root, 'results', 'det');
    const [pathA] = await Promise.all(corpus.files.map((f, k) => writeNabResults(dir, 'det', f, scores[k]!)));
    expect(pathA).toBe(join(dir, 'cat', 'det_a.csv'));
    const text = readFileSyncText(pathA!).split('\n');
    expect(text[0]).toBe('timestamp,value,anomaly_score,label');
    expect(text[21]).toBe('2014-04-01 01:40:00,20,0.3125,1');
    expect(text[27]).toBe('2014-04-01 02:05:00,26,0.40625,0');
    // Gzip b's file in place of the plain one.
    const pathB = join(dir, 'cat', 'det_b.csv');
    writeFileSync(`${pathB}.gz`, gzipSync(readFileSyncText(pathB)));
    rmSync(pathB);
    expect(await readNabResults(join(root, 'results'), 'det', corpus.files)).toEqual(scores);
    await expect(readNabResults(join(root, 'results'), 'other', corpus.files)).rejects.toThrow(
      /no results for cat\/a.csv/,
    );
  });
});

function readFileSyncText(path: string): string {
  return readFileSync(path, 'utf8');
}

describe('loadNabCorpus: the UCR archive’s anomaly ranges and splits', () => {
  it('reads labels/anomaly_ranges.json (ISO timestamps with Z) and splits.json (keyed by file name)', async () => {
    const root = join(tmp, 'ucr');
    write(join(root, 'data', 'cat', 'a.csv'), series());
    write(join(root, 'labels', 'combined_windows.json'), JSON.stringify({ 'cat/a.csv': [] }));
    write(
      join(root, 'labels', 'anomaly_ranges.json'),
      JSON.stringify({ 'cat/a.csv': [['2014-04-01T02:10:00Z', '2014-04-01T02:20:00Z']] }),
    );
    write(join(root, 'splits.json'), JSON.stringify({ 'a.csv': { train_points: 12 } }));
    const corpus = await loadNabCorpus(root);
    expect(corpus).toMatchObject({ hasRanges: true, hasSplits: true });
    expect(corpus.files[0]).toMatchObject({ ranges: [{ start: 27, end: 29 }], trainPoints: 12, windows: [] });
  });

  it('has neither without the files, and names the file and field when one is wrong', async () => {
    const root = join(tmp, 'ucr-bad');
    write(join(root, 'data', 'cat', 'a.csv'), series());
    write(join(root, 'labels', 'combined_windows.json'), JSON.stringify({ 'cat/a.csv': [] }));
    const plain = await loadNabCorpus(root);
    expect(plain).toMatchObject({ hasRanges: false, hasSplits: false });
    expect(plain.files[0]!.ranges).toBeUndefined();
    write(join(root, 'splits.json'), JSON.stringify({ 'a.csv': { train_points: 40 } }));
    await expect(loadNabCorpus(root)).rejects.toThrow(
      /splits\.json: "a\.csv"\.train_points must be an integer in \[0, 39\]/,
    );
    write(join(root, 'splits.json'), JSON.stringify({ 'a.csv': { train_points: 10 } }));
    write(
      join(root, 'labels', 'anomaly_ranges.json'),
      JSON.stringify({ 'cat/a.csv': [['2014-04-01T02:11:00Z', '2014-04-01T02:20:00Z']] }),
    );
    await expect(loadNabCorpus(root)).rejects.toThrow(
      /anomaly_ranges\.json: cat\/a\.csv: no row has timestamp "2014-04-01T02:11:00Z"/,
    );
  });
});
