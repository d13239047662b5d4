/**
 * The threshold-free part of `vigil bench nab`: how well a pipeline's scores rank the labelled
 * points of each series (ROC-AUC, AUC-PR, VUS-PR; core/bench/ranking), and with `--metric ucr`
 * the UCR archive's top-1 rule over each series' test part.
 *
 * Point labels: a corpus with labels/anomaly_ranges.json (the UCR archive's) marks the labelled
 * anomalies themselves; otherwise (NAB) every point inside a label window is positive. Every row
 * of a file counts, the training part included, as TSB-AD evaluates whole series.
 */
import type { NabCorpus, NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import {
  causalOracle,
  meanRanking,
  type RankingMean,
  rankSeries,
  type SeriesRanking,
  UCR_TOLERANCE,
  ucrTop1,
} from '../../core/bench/ranking/index.ts';
import { VigilError } from '../../core/errors.ts';

export interface NabRanking {
  /** Where the point labels come from. */
  labels: 'labels/anomaly_ranges.json' | `${string} windows`;
  /** Each series scored alone, then averaged with equal weight (series without labels left out). */
  aggregate: 'mean of series';
  mean: RankingMean;
  /**
   * The same measures for a perfect causal detector (causalOracle: 1 from each anomaly's onset to
   * its label's end): the most a detector that sees no precursor can reach on these labels.
   */
  ceiling: RankingMean;
  perFile: ({ file: string } & SeriesRanking)[];
}

export interface UcrResult {
  solved: number;
  series: number;
  fraction: number;
  /** A location within this many points of the labelled anomaly solves the series. */
  tolerance: number;
  perFile: {
    file: string;
    trainPoints: number;
    /** The labelled anomaly, 0-based rows (inclusive). */
    begin: number;
    end: number;
    location: number;
    ties: number;
    solved: boolean;
  }[];
}

/** ROC-AUC, AUC-PR and VUS-PR of `scores[f]` for each file, and their mean. */
export function rankCorpus(corpus: NabCorpus, scores: readonly Float64Array[]): NabRanking {
  const perFile: NabRanking['perFile'] = [];
  const series = corpus.files.map((file, f) => {
    const r = rankSeries(scores[f]!, file.values, labelRanges(corpus, file));
    if (r !== undefined) perFile.push({ file: file.name, ...r });
    return r;
  });
  const ceiling = corpus.files.map((file) => {
    const ranges = labelRanges(corpus, file);
    return rankSeries(causalOracle(file.length, ranges, file.anomalies), file.values, ranges);
  });
  return {
    labels: corpus.hasRanges ? 'labels/anomaly_ranges.json' : `labels/${corpus.labels} windows`,
    aggregate: 'mean of series',
    mean: meanRanking(series),
    ceiling: meanRanking(ceiling),
    perFile,
  };
}

/** Throws unless the corpus can be scored by the UCR rule (splits and one anomaly per file). */
export function assertUcrCorpus(corpus: NabCorpus): void {
  if (!corpus.hasSplits || !corpus.hasRanges) {
    throw new VigilError(
      'VIGIL_ERR_NOT_FOUND',
      `--metric ucr: ${corpus.root} needs splits.json and labels/anomaly_ranges.json (a corpus from the UCR archive)`,
    );
  }
  for (const file of corpus.files) {
    if (file.ranges!.length !== 1) {
      throw new VigilError(
        'VIGIL_ERR_BAD_JSON',
        `--metric ucr: ${file.name} has ${file.ranges!.length} labelled anomalies; the UCR rule needs exactly one`,
      );
    }
  }
}

/** The UCR top-1 rule on every file (assertUcrCorpus first). */
export function ucrCorpus(corpus: NabCorpus, scores: readonly Float64Array[]): UcrResult {
  const perFile = corpus.files.map((file, f) => {
    const anomaly = file.ranges![0]!;
    const trainPoints = file.trainPoints!;
    const top = ucrTop1(scores[f]!, trainPoints, anomaly);
    return { file: file.name, trainPoints, begin: anomaly.start, end: anomaly.end, ...top };
  });
  const solved = perFile.filter((p) => p.solved).length;
  return {
    solved,
    series: perFile.length,
    fraction: solved / Math.max(perFile.length, 1),
    tolerance: UCR_TOLERANCE,
    perFile,
  };
}

function labelRanges(corpus: NabCorpus, file: NabCorpusFile) {
  return corpus.hasRanges ? file.ranges! : file.windows;
}
