/**
 * `vigil bench nab --warm-start` and the train-on-first-halves harness (`--train-halves`) on a tiny
 * corpus in NAB's layout.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNabCorpus } from '../../../../src/adapters/nab/corpus-loader.ts';
import { runTrainHalvesCommand, runWarmStartCommand } from '../../../../src/cli/bench/nab.ts';
import { scoredFrom } from '../../../../src/cli/bench/nab-split.ts';
import {
  type FirstHalf,
  firstHalfOf,
  halfOf,
  runTrainedBench,
  type Trainer,
} from '../../../../src/cli/bench/nab-trained.ts';
import { PRESETS } from '../../../../src/core/pipeline/presets.ts';

const tmp = mkdtempSync(join(tmpdir(), 'vigil-bench-split-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

const stamp = (i: number) =>
  new Date(Date.UTC(2015, 0, 1, 0, 5 * i)).toISOString().slice(0, 19).replace('T', ' ');

/** 400-row files: `early` has a spike at row 60 (just after a 15 % history), `late` at 100 and 300. */
function corpus(): string {
  const root = join(tmp, 'corpus');
  const spikes: Record<string, number[]> = { 'cat/early.csv': [60], 'cat/late.csv': [100, 300] };
  for (const [name, at] of Object.entries(spikes)) {
    const lines = ['timestamp,value'];
    for (let i = 0; i < 400; i++)
      lines.push(`${stamp(i)},${(at.includes(i) ? 60 : 10 + Math.sin(i / 5)).toFixed(3)}`);
    write(join(root, 'data', name), lines.join('\n'));
  }
  const window = (r: number) => [`${stamp(r - 10)}.000000`, `${stamp(r + 10)}.000000`];
  write(
    join(root, 'labels', 'combined_windows.json'),
    JSON.stringify({ 'cat/early.csv': [window(60)], 'cat/late.csv': [window(100), window(300)] }),
  );
  return root;
}

describe('bench nab --warm-start', () => {
  it('a pipeline primed with the history flags a spike right after it; a cold one is still warming up', async () => {
    const out: string[] = [];
    const json = join(tmp, 'ws.json');
    const r = await runWarmStartCommand(
      { detector: 'ewma', corpus: corpus(), mode: 'strict', seed: 0, workers: 1, warmStart: 0.15, json },
      (t) => out.push(t),
    );
    expect(r.historyPoints).toBe(2 * 60);
    expect(r.scoredPoints).toBe(2 * 340);
    // The spike is the first row after the history: a cold EWMA has no expectation yet (warm-up 20).
    expect(r.warm.deployed.standard!).toBeGreaterThan(r.cold.deployed.standard!);
    expect(r.warm.sweep.standard!).toBeGreaterThan(r.cold.sweep.standard!);
    expect(JSON.parse(readFileSync(json, 'utf8')).warm.sweep).toEqual(r.warm.sweep);
    expect(out.join('')).toMatch(/warm − cold, standard: /);
  });
});

describe('train on first halves', () => {
  it('the trainer gets only first-half rows and labels; second halves are scored after', async () => {
    const c = await loadNabCorpus(corpus());
    const late = c.files.find((f) => f.name === 'cat/late.csv')!;
    const h = firstHalfOf(late, false);
    expect(halfOf(late)).toBe(200);
    expect(h.ts.length).toBe(200);
    expect(Math.max(...h.ts)).toBeLessThan(late.ts[200]!);
    expect(h.labels).toEqual([{ label: 'anomaly', start: late.ts[100]!, end: late.ts[100]! }]);
    // The scorer counts only the second half: the window at 100 drops out.
    expect(scoredFrom(late, 200).windows).toEqual([{ start: 290, end: 310 }]);

    const seen: FirstHalf[][] = [];
    const engineDefault = PRESETS.get('fast')!;
    const trainer: Trainer = async (series) => {
      seen.push([...series]);
      return { pipeline: engineDefault, about: 'the default again' };
    };
    const r = await runTrainedBench(c, { trainer, engineDefault, perFile: true }, () => {});
    expect(seen.map((s) => s.length)).toEqual([2, 1, 1]);
    for (const s of seen.flat()) {
      const file = c.files.find((f) => f.name === s.key)!;
      expect(s.ts.every((t) => t < file.ts[halfOf(file)]!)).toBe(true);
      expect(s.labels.every((l) => l.end < file.ts[halfOf(file)]!)).toBe(true);
    }
    expect(r.trainingLabels).toBe(2);
    // The same pipeline trained or not: the same second-half scores.
    expect(r.global.sweep).toEqual(r.default.sweep);
    expect(r.perFile!.deployed).toEqual(r.default.deployed);
    expect(r.default.ucr).toBeUndefined();
  });
});

describe('bench nab --train-halves', () => {
  it('trains with the real training core on first halves and reports default and trained on second halves', async () => {
    const out: string[] = [];
    const json = join(tmp, 'th.json');
    const r = await runTrainHalvesCommand(
      { detector: 'default', corpus: corpus(), mode: 'strict', seed: 0, workers: 1, budget: 2, json },
      (t) => out.push(t),
    );
    expect(r.files).toBe(2);
    expect(r.trainingLabels).toBe(2);
    expect(r.global.model.about).toMatch(/of 2 candidates/);
    expect(r.perFile).toBeUndefined();
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.budget).toBe(2);
    expect(saved.default.sweep).toEqual(r.default.sweep);
    expect(out.join('')).toMatch(/global − default, standard: /);
  }, 60_000);
});
