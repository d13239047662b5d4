import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NabCorpusFile } from '../../../../src/adapters/nab/corpus-loader.ts';
import { runPeersBench, selectFiles, truncateFile } from '../../../../src/cli/bench/peers.ts';
import {
  formatTable,
  mergeReport,
  type PeerRow,
  type PeersReport,
  type PeersRun,
  withSpeedRatios,
} from '../../../../src/cli/bench/peers-report.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-peers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function row(
  detector: string,
  kind: PeerRow['kind'],
  cpuPointsPerSec: number,
  extra: Partial<PeerRow> = {},
): PeerRow {
  return {
    detector,
    kind,
    scores: { standard: 50, reward_low_FP_rate: 40, reward_low_FN_rate: 60 },
    points: 1000,
    seconds: 1000 / cpuPointsPerSec,
    pointsPerSec: cpuPointsPerSec,
    cpuSeconds: 1000 / cpuPointsPerSec,
    cpuPointsPerSec,
    measuredAt: '2025-01-01T00:00:00.000Z',
    ...extra,
  };
}

describe('selectFiles', () => {
  const names = [
    ...Array.from({ length: 6 }, (_, i) => `b/f${i}.csv`),
    ...Array.from({ length: 12 }, (_, i) => `a/f${String(i).padStart(2, '0')}.csv`),
    ...Array.from({ length: 6 }, (_, i) => `c/f${i}.csv`),
  ];

  it('returns every file, sorted, when n covers them', () => {
    expect(selectFiles(names, 24)).toEqual([...names].sort());
    expect(selectFiles(names, 100)).toHaveLength(24);
  });

  it('picks evenly spaced files, deterministically, in proportion to each category', () => {
    const picked = selectFiles(names, 8);
    expect(picked).toEqual(selectFiles([...names].reverse(), 8));
    expect(new Set(picked).size).toBe(8);
    const perCategory = (c: string) => picked.filter((n) => n.startsWith(`${c}/`)).length;
    expect([perCategory('a'), perCategory('b'), perCategory('c')]).toEqual([4, 2, 2]);
    expect(picked[0]).toBe('a/f01.csv');
  });
});

describe('truncateFile', () => {
  const file: NabCorpusFile = {
    name: 'cat/x.csv',
    length: 10,
    windows: [
      { start: 2, end: 3 },
      { start: 5, end: 8 },
      { start: 9, end: 9 },
    ],
    timestamps: Array.from({ length: 10 }, (_, i) => String(i)),
    ts: Float64Array.from({ length: 10 }, (_, i) => i),
    values: Float64Array.from({ length: 10 }, (_, i) => i * 2),
  };

  it('cuts rows, clips a window across the cut and drops windows past it', () => {
    const cut = truncateFile(file, 6);
    expect(cut.length).toBe(6);
    expect(cut.values).toEqual(Float64Array.from([0, 2, 4, 6, 8, 10]));
    expect(cut.timestamps).toHaveLength(6);
    expect(cut.windows).toEqual([
      { start: 2, end: 3 },
      { start: 5, end: 5 },
    ]);
  });

  it('leaves a file no longer than the cap as it is', () => {
    expect(truncateFile(file, 10)).toBe(file);
    expect(truncateFile(file, undefined)).toBe(file);
  });
});

describe('speed ratios and table', () => {
  const rows = [
    row('hst', 'peer', 10_000),
    row('rrcf', 'peer', 100),
    row('rcf', 'vigil', 5_000),
    row('default', 'vigil', 400_000),
  ];

  it('compares rrcf with our rcf and HST with our default, on CPU points/s', () => {
    const out = withSpeedRatios(rows);
    expect(out[0]).toMatchObject({ reference: 'default', oursFaster: 40 });
    expect(out[1]).toMatchObject({ reference: 'rcf', oursFaster: 50 });
    expect(out[2]!.oursFaster).toBeUndefined();
  });

  it('leaves the ratio out when the reference detector is not in the run', () => {
    const out = withSpeedRatios([
      row('rrcf', 'peer', 100, { reference: 'rcf', oursFaster: 3 }),
      row('ewma', 'vigil', 1e6),
    ]);
    expect(out[0]!.reference).toBeUndefined();
    expect(out[0]!.oursFaster).toBeUndefined();
  });

  it('prints one aligned line per detector with scores, speed and ratio', () => {
    const lines = formatTable(withSpeedRatios(rows)).trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(
      /^detector\s+standard\s+low FP\s+low FN\s+points\s+seconds\s+points\/s\s+cpu pts\/s\s+ours faster$/,
    );
    expect(lines[1]).toMatch(/^hst\s+50\.0\s+40\.0\s+60\.0\s+1,000\s+0\.1\s+10,000\s+10,000\s+default 40×$/);
    expect(lines[2]).toMatch(/rcf 50×$/);
    // Right-aligned columns: every line's CPU figure ends where the header's does.
    const end = lines[0]!.indexOf('cpu pts/s') + 'cpu pts/s'.length - 1;
    for (const line of lines) expect(line[end]).toMatch(/[0-9s]/);
    expect(lines[3]).toMatch(/5,000$/);
  });
});

describe('mergeReport', () => {
  const run = (key: string, rows: PeerRow[]): PeersRun => ({
    key,
    subset: { files: 1, of: 2, maxPoints: null, names: ['a/x.csv'] },
    points: 1000,
    command: 'vigil bench peers',
    rows,
  });

  it('keeps runs on other subsets and replaces rows of the same detector on the same one', () => {
    let report: PeersReport = mergeReport(
      undefined,
      run('full', [row('hst', 'peer', 10), row('default', 'vigil', 100)]),
      {
        river: '0.26.1',
      },
    );
    report = mergeReport(report, run('subset', [row('rrcf', 'peer', 1), row('rcf', 'vigil', 50)]), {
      rrcf: '0.4.4',
    });
    report = mergeReport(report, run('full', [row('default', 'vigil', 200)]), {});
    expect(report.runs.map((r) => r.key)).toEqual(['subset', 'full']);
    const full = report.runs[1]!;
    expect(full.rows.map((r) => [r.detector, r.cpuPointsPerSec])).toEqual([
      ['hst', 10],
      ['default', 200],
    ]);
    expect(full.rows[0]!.oursFaster).toBe(20);
    expect(report.versions).toMatchObject({ river: '0.26.1', rrcf: '0.4.4' });
  });
});

describe('runPeersBench without peers', () => {
  it('scores our detectors on a subset of a tiny corpus and writes the JSON', async () => {
    const root = join(tmp, 'corpus');
    for (const name of ['cat/a.csv', 'cat/b.csv', 'dog/c.csv']) {
      const lines = ['timestamp,value'];
      for (let i = 0; i < 200; i++) {
        const t = new Date(Date.UTC(2015, 0, 1, 0, 5 * i)).toISOString().slice(0, 19).replace('T', ' ');
        lines.push(`${t},${(i === 150 ? 50 : 10 + Math.sin(i / 5)).toFixed(3)}`);
      }
      mkdirSync(join(root, 'data', name, '..'), { recursive: true });
      writeFileSync(join(root, 'data', name), lines.join('\n'));
    }
    const window = ['2015-01-01 12:00:00', '2015-01-01 12:55:00'];
    mkdirSync(join(root, 'labels'), { recursive: true });
    writeFileSync(
      join(root, 'labels', 'combined_windows.json'),
      JSON.stringify({ 'cat/a.csv': [window], 'cat/b.csv': [window], 'dog/c.csv': [window] }),
    );
    const json = join(tmp, 'peers.json');
    let printed = '';
    const result = await runPeersBench(
      { corpus: root, detectors: ['ewma'], peers: [], files: 2, json, workers: 1, seed: 0 },
      (text) => {
        printed += text;
      },
    );
    expect(result.subset).toMatchObject({ files: 2, of: 3, names: ['cat/a.csv', 'dog/c.csv'] });
    expect(result.rows).toHaveLength(1);
    expect(result.rows[0]).toMatchObject({ detector: 'ewma', kind: 'vigil', points: 400 });
    expect(result.rows[0]!.scores.standard).toBeGreaterThan(0);
    expect(printed).toMatch(/subset: 2 of 3 files/);
    const saved = JSON.parse(readFileSync(json, 'utf8')) as PeersReport;
    expect(saved.runs[0]!.rows[0]!.detector).toBe('ewma');
  });
});
