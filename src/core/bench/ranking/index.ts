/** Threshold-free point-wise measures and the UCR top-1 rule (pure): how well scores rank labelled points. */
export { averagePrecision } from './average-precision.ts';
export { causalOracle } from './causal-oracle.ts';
export { DEFAULT_WINDOW, dominantPeriod } from './dominant-period.ts';
export { pointLabels } from './point-labels.ts';
export { rocAuc } from './roc-auc.ts';
export { positivesPerGroup, type ScoreGroups, scoreGroups } from './score-groups.ts';
export { meanRanking, type RankingMean, rankSeries, type SeriesRanking } from './series-ranking.ts';
export { UCR_TOLERANCE, type UcrTop1, ucrTop1 } from './ucr-top1.ts';
export { vusPr } from './vus-pr.ts';
