/**
 * The scorer on NAB's published raw results (SCORING.md §11): scored at the stored thresholds it
 * reproduces `final_results.json`, per-file scores and counts; the sweep reproduces them too,
 * except where NAB's old optimiser missed the optimum (numenta low-FP, random).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadNabCorpus, type NabCorpus } from '../../../../../src/adapters/nab/corpus-loader.ts';
import { readCsvTable } from '../../../../../src/adapters/nab/csv-table.ts';
import { readNabResults } from '../../../../../src/adapters/nab/results-reader.ts';
import { type NabThresholds, readNabThresholds } from '../../../../../src/adapters/nab/thresholds-reader.ts';
import { scoreCorpus } from '../../../../../src/core/bench/nab/corpus-score.ts';
import { scoreDetector } from '../../../../../src/core/bench/nab/score-detector.ts';
import { describeShared } from '../../../../helpers/datasets.ts';
import { NAB_DIR, NAB_RESULTS } from './nab-dataset.ts';

const DETECTORS = [
  'ARTime',
  'numenta',
  'contextOSE',
  'randomCutForest',
  'windowedGaussian',
  'random',
  'null',
];
type Triple = [standard: number, lowFp: number, lowFn: number];
const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

/** SCORING.md §11: the fresh sweep's θ* and NAB score per profile. */
const SWEEP: Record<string, { theta: Triple; score: Triple }> = {
  ARTime: { theta: [0.317486, 0.317585, 0.317486], score: [74.8537722322, 65.1540001797, 80.3622849364] },
  numenta: {
    theta: [0.543099145074, 0.543099145074, 0.543099145074],
    score: [70.1010561195, 63.2091850025, 74.3202443095],
  },
  contextOSE: {
    theta: [0.766433566434, 0.766433566434, 0.705128205128],
    score: [69.8995689684, 66.9771391905, 73.1816725042],
  },
  randomCutForest: {
    theta: [0.454019111529, 0.575366064803, 0.448060764197],
    score: [51.7170545571, 38.3607721424, 59.7487647631],
  },
  windowedGaussian: { theta: [1, 1, 1], score: [39.6495234961, 20.8679858248, 47.4100271583] },
  random: {
    theta: [0.998405097835, 0.999595043934, 0.998405097835],
    score: [17.6554396982, 7.4800349383, 27.5748908333],
  },
  null: { theta: [1.1, 1.1, 1.1], score: [0, 0, 0] },
};

let corpus: NabCorpus;
let thresholds: NabThresholds;
let published: Record<string, Record<string, number>>;

beforeAll(async () => {
  corpus = await loadNabCorpus(NAB_DIR);
  thresholds = await readNabThresholds(NAB_DIR);
  published = JSON.parse(readFileSync(join(NAB_DIR, 'results', 'final_results.json'), 'utf8'));
});

describe('NAB v1.1 corpus', () => {
  it('has 58 files, 365,558 rows and 116 windows', () => {
    expect(corpus.files).toHaveLength(58);
    expect(corpus.files.reduce((n, f) => n + f.length, 0)).toBe(365558);
    expect(corpus.files.reduce((n, f) => n + f.windows.length, 0)).toBe(116);
    expect(corpus.profiles.map((p) => p.name)).toEqual([...PROFILES]);
  });
});

describeShared(NAB_RESULTS, 'published raw results', () => {
  describe.each(DETECTORS)('published results of %s', (detector) => {
    let scores: Float64Array[];
    beforeAll(async () => {
      scores = await readNabResults(NAB_RESULTS, detector, corpus.files);
    });

    it('score final_results.json at the thresholds of config/thresholds.json', () => {
      const results = scoreDetector(corpus.files, scores, corpus.profiles, thresholds[detector]);
      for (const r of results) expect(r.score).toBeCloseTo(published[detector]![r.profile]!, 6);
    });

    it('give the §11 optimum under a full threshold sweep', () => {
      const results = scoreDetector(corpus.files, scores, corpus.profiles);
      PROFILES.forEach((profile, p) => {
        const r = results.find((x) => x.profile === profile)!;
        expect(r.threshold).toBeCloseTo(SWEEP[detector]!.theta[p], 12);
        expect(r.score).toBeCloseTo(SWEEP[detector]!.score[p], 6);
      });
    });

    it.skipIf(detector === 'random')(
      'match the per-file scores and counts of the stored summaries',
      async () => {
        // random's summaries are stale (SCORING.md §12).
        for (const profile of corpus.profiles) {
          const path = join(NAB_RESULTS, detector, `${detector}_${profile.name}_scores.csv.gz`);
          const table = await readCsvTable(path);
          const ours = scoreCorpus(corpus.files, scores, profile, thresholds[detector]![profile.name]!);
          const byFile = new Map(ours.files.map((f) => [f.file, f]));
          const rows = table.lines.map((l) => l.split(',')).filter((f) => f[0] !== 'Totals');
          expect(rows).toHaveLength(58);
          for (const [, , file, , score, tp, tn, fp, fn] of rows) {
            const f = byFile.get(file!)!;
            expect(f.score).toBeCloseTo(Number(score), 9);
            expect([f.tp, f.tn, f.fp, f.fn]).toEqual([tp, tn, fp, fn].map(Number));
          }
        }
      },
    );
  });
});
