import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../../../src/adapters/nab/corpus-loader.ts';
import { readNabResults } from '../../../../src/adapters/nab/results-reader.ts';
import { runNabBench } from '../../../../src/cli/bench/nab.ts';
import { scoreDetector } from '../../../../src/core/bench/nab/score-detector.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-nab-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** A tiny corpus in NAB's layout: two 300-row files, a spike inside a label window in one. */
function tinyCorpus(): string {
  const root = join(tmp, 'corpus');
  for (const [name, spike] of [
    ['cat/spiky.csv', 200],
    ['cat/calm.csv', -1],
  ] as const) {
    const lines = ['timestamp,value'];
    for (let i = 0; i < 300; i++) {
      const t = new Date(Date.UTC(2015, 0, 1, 0, 5 * i)).toISOString().slice(0, 19).replace('T', ' ');
      lines.push(`${t},${(i === spike ? 50 : 10 + Math.sin(i / 5)).toFixed(3)}`);
    }
    write(join(root, 'data', name), lines.join('\n'));
  }
  write(
    join(root, 'labels', 'combined_windows.json'),
    JSON.stringify({
      'cat/spiky.csv': [['2015-01-01 16:25:00.000000', '2015-01-01 17:55:00.000000']],
      'cat/calm.csv': [],
    }),
  );
  return root;
}

describe('runNabBench', () => {
  it('writes NAB result CSVs and the JSON summary, deterministically', async () => {
    const corpus = tinyCorpus();
    const lines: string[] = [];
    const run = (tag: string) =>
      runNabBench(
        {
          detector: 'ewma',
          corpus,
          mode: 'nab',
          json: join(tmp, `${tag}.json`),
          results: join(tmp, tag),
          seed: 7,
          workers: 2,
        },
        { write: (text) => lines.push(text) },
      );
    const [result] = await run('a');
    const json = JSON.parse(readFileSync(join(tmp, 'a.json'), 'utf8'));
    expect(json).toEqual(result);
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining([
        'detector',
        'mode',
        'scores',
        'points',
        'seconds',
        'pointsPerSec',
        'kernelPointsPerSec',
        'stateBytesPerSeries',
      ]),
    );
    expect(json).toMatchObject({ detector: 'ewma', mode: 'nab', points: 600, seed: 7 });
    expect(Object.keys(json.scores)).toEqual(['standard', 'reward_low_FP_rate', 'reward_low_FN_rate']);
    // The spike at row 200 is the first outlier inside the window [197, 215]: a hit, no FPs.
    expect(json.scores.standard).toBeGreaterThan(50);
    expect(json.pointsPerSec).toBeGreaterThan(0);
    expect(json.kernelPointsPerSec).toBeGreaterThan(0);
    expect(json.stateBytesPerSeries).toBeGreaterThan(0);

    const csv = readFileSync(join(tmp, 'a', 'ewma', 'cat', 'ewma_spiky.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(csv).toHaveLength(301);
    expect(csv[0]).toBe('timestamp,value,anomaly_score,label');
    expect(csv[198]).toMatch(/^2015-01-01 16:25:00,[\d.]+,[\d.e-]+,1$/);
    expect(csv[197]).toMatch(/,0$/);
    expect(csv[201]).toMatch(/^2015-01-01 16:40:00,50,/);

    // The written results rescore to the reported scores.
    const loaded = await loadNabCorpus(corpus);
    const rescored = scoreDetector(
      loaded.files,
      await readNabResults(join(tmp, 'a'), 'ewma', loaded.files),
      loaded.profiles,
    );
    for (const r of rescored) expect(r.score).toBe(json.scores[r.profile]);

    expect(lines.join('')).toMatch(/nab ewma \(nab\) 2\/2 /);
    expect(lines.join('')).toMatch(/\* ewma \(Vigil, nab mode\)/);
    // Not NAB itself: the published entries are not shown beside ours.
    expect(lines.join('')).not.toMatch(/ARTime/);
    expect(lines.join('')).toMatch(/published NAB entries not shown/);
    // Ranking: the calm file has no window and is left out; the spike is the only outlier.
    expect(json.ranking).toMatchObject({
      labels: 'labels/combined_windows.json windows',
      aggregate: 'mean of series',
      mean: { series: 1 },
    });
    expect(json.ranking.perFile.map((p: { file: string }) => p.file)).toEqual(['cat/spiky.csv']);
    expect(json.ranking.mean.rocAuc).toBeGreaterThan(0);
    expect(json.ranking.mean.vusPr).toBeGreaterThan(0);
    expect(json.ucr).toBeUndefined();
    expect(lines.join('')).toMatch(
      /point-wise, mean of 1 series .*ROC-AUC \d\.\d{3}, AUC-PR \d\.\d{3}, VUS-PR \d\.\d{3}/,
    );
    expect(lines.join('')).toMatch(
      /Ranking \(point-wise, mean of series; labels: labels\/combined_windows\.json windows\)/,
    );

    await run('b');
    for (const file of ['ewma_spiky.csv', 'ewma_calm.csv']) {
      expect(readFileSync(join(tmp, 'b', 'ewma', 'cat', file), 'utf8')).toBe(
        readFileSync(join(tmp, 'a', 'ewma', 'cat', file), 'utf8'),
      );
    }
  });

  it('--feedback runs without and with the operator and reports both; --files runs a subset', async () => {
    const corpus = tinyCorpus();
    const lines: string[] = [];
    const [r] = await runNabBench(
      {
        detector: 'fast',
        corpus,
        mode: 'nab',
        json: join(tmp, 'fb.json'),
        results: join(tmp, 'fb'),
        seed: 0,
        workers: 1,
        feedback: true,
        files: 'spiky',
      },
      { write: (text) => lines.push(text) },
    );
    expect(r!.points).toBe(300);
    expect(r!.files).toBe('spiky');
    expect(r!.feedback).toMatchObject({ delay: 'window' });
    expect(Object.keys(r!.feedback!.without)).toEqual([
      'standard',
      'reward_low_FP_rate',
      'reward_low_FN_rate',
    ]);
    const { anomaly, not_anomaly } = r!.feedback!.labels;
    expect(anomaly + not_anomaly).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(tmp, 'fb.json'), 'utf8'))).toEqual(r);
    expect(lines.join('')).toMatch(
      /fast \(nab\) with feedback \(\d+ anomaly, \d+ not_anomaly labels\): standard /,
    );
    await expect(
      runNabBench(
        { detector: 'fast', corpus, mode: 'nab', seed: 0, workers: 1, files: 'nope' },
        { write: () => {} },
      ),
    ).rejects.toThrow(/--files nope: no file/);
  });

  it('--metric ucr adds the top-1 rule over the test part, ranking against the anomaly ranges', async () => {
    const root = join(tmp, 'ucr');
    const lines = ['timestamp,value'];
    // 400 points, training part 0–199 with its own (ignored) spike at 50; the anomaly is 300–304.
    for (let i = 0; i < 400; i++) {
      const t = new Date(Date.UTC(2020, 0, 1, 0, i)).toISOString().slice(0, 19).replace('T', ' ');
      const v = i === 50 ? 90 : i >= 300 && i <= 304 ? 40 : 10 + Math.sin(i / 3);
      lines.push(`${t},${v.toFixed(3)}`);
    }
    write(join(root, 'data', 'ucr', 'one.csv'), lines.join('\n'));
    const at = (i: number) => new Date(Date.UTC(2020, 0, 1, 0, i)).toISOString().replace('.000', '');
    write(
      join(root, 'labels', 'combined_windows.json'),
      JSON.stringify({
        'ucr/one.csv': [
          [at(280).replace('T', ' ').replace('Z', ''), at(330).replace('T', ' ').replace('Z', '')],
        ],
      }),
    );
    write(
      join(root, 'labels', 'anomaly_ranges.json'),
      JSON.stringify({ 'ucr/one.csv': [[at(300), at(304)]] }),
    );
    write(join(root, 'splits.json'), JSON.stringify({ 'one.csv': { train_points: 200 } }));
    const out: string[] = [];
    const [r] = await runNabBench(
      {
        detector: 'ewma',
        corpus: root,
        mode: 'nab',
        json: join(tmp, 'ucr.json'),
        results: join(tmp, 'ucr-results'),
        seed: 0,
        workers: 1,
        metric: 'ucr',
      },
      { write: (text) => out.push(text) },
    );
    expect(r!.ranking.labels).toBe('labels/anomaly_ranges.json');
    expect(r!.ucr).toMatchObject({ solved: 1, series: 1, fraction: 1, tolerance: 100 });
    expect(r!.ucr!.perFile[0]).toMatchObject({
      file: 'ucr/one.csv',
      trainPoints: 200,
      begin: 300,
      end: 304,
      solved: true,
    });
    expect(r!.ucr!.perFile[0]!.location).toBeGreaterThanOrEqual(300);
    expect(r!.ucr!.perFile[0]!.location).toBeLessThanOrEqual(305);
    expect(out.join('')).toMatch(/UCR top-1 .*: 1\/1 solved \(100\.0 %\)/);
    expect(out.join('')).toMatch(/ solved {2}ucr\/one\.csv {2}top at 30\d/);
    expect(out.join('')).toMatch(/UCR top-1\n\* ewma \(Vigil, nab mode\)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+1\/1/);
    expect(JSON.parse(readFileSync(join(tmp, 'ucr.json'), 'utf8')).ucr.solved).toBe(1);
    // NAB's layout without splits.json cannot be scored by the UCR rule.
    await expect(
      runNabBench(
        { detector: 'ewma', corpus: tinyCorpus(), mode: 'nab', seed: 0, workers: 1, metric: 'ucr' },
        { write: () => {} },
      ),
    ).rejects.toThrow(/--metric ucr: .* needs splits\.json and labels\/anomaly_ranges\.json/);
  });

  it('rejects an unknown detector and a missing corpus with clear errors', async () => {
    const options = { mode: 'strict' as const, seed: 0, workers: 1, corpus: join(tmp, 'none') };
    await expect(runNabBench({ ...options, detector: 'nope' }, { write: () => {} })).rejects.toThrow(
      /unknown detector "nope"/,
    );
    await expect(runNabBench({ ...options, detector: 'ewma' }, { write: () => {} })).rejects.toThrow(
      /not a NAB corpus/,
    );
  });
});
