/**
 * The candidate space of `vigil train`: which pipelines a training backtests. Deterministic, so
 * two trainings on the same data and budget evaluate the same candidates in the same order (and a
 * retraining that finds nothing better ties with production instead of drifting).
 *
 * The list is: the current production version's pipeline (when there is one), the engine default,
 * pipelines given explicitly (`--candidate-from`), then the search: every family at its own
 * declaration first (a family is a preset or a selectable detector's default pipeline), then
 * variations of each family in rounds (round r holds the r-th variation of every family), so a
 * small budget covers many families and a larger one refines them. A variation changes the
 * threshold and/or adds a post-rule; it keeps the family's detector, calibration and its own
 * post-rules (the presets' `feedback` stage stays, so served models keep learning from labels).
 * Equal pipelines (same content hash) appear once, at their first place.
 */
import type { PipelineDeclaration, ResolvedPipeline, StageDeclaration } from '../pipeline/declaration.ts';
import type { Pipelines } from '../pipeline/pipelines.ts';

/** Where a candidate came from; the order of the list is also the order of preference on ties. */
export type CandidateOrigin = 'production' | 'default' | 'given' | 'search';

export interface Candidate {
  /** Its place in the list, from 0; tracking runs are named after it (`c003`). */
  index: number;
  origin: CandidateOrigin;
  /** The family it varies (a preset or detector name), or the label of a given pipeline. */
  family: string;
  pipeline: ResolvedPipeline;
  /** The pipeline's content hash (Pipelines.hash). */
  hash: string;
}

/**
 * Families in the order the search visits them: the presets, then the selectable detectors by
 * their NAB strict-mode score through their default pipelines (docs/detectors.md), so the cheap
 * good ones come before the slow ones (`rcf`, `knn-cad`, `cad-ose` score about 5–30k points/s).
 * Names the catalogue does not offer are skipped; selectable names missing here (and not heavy)
 * come last, sorted.
 */
export const FAMILY_ORDER: readonly string[] = [
  'vigil',
  'fast',
  'vigil2',
  'ensemble',
  'windowed-gaussian',
  'seasonal',
  'artime',
  'ewma',
  'relative-entropy',
  'robust-z',
  'bocpd',
  'discord',
];

/**
 * Families searched only when named (`--families`): 10–40× the thread time of the others for lower
 * NAB scores (measured: bench/train-nab.ts, docs/models.md), so a default budget is better spent on
 * variations of the rest.
 */
export const HEAVY_FAMILIES: readonly string[] = ['cad-ose', 'knn-cad', 'rcf'];

/** Thresholds tried after a calibration (lite-likelihood, likelihood: NAB's log-likelihood scale). */
const CALIBRATED_THRESHOLDS = [0.6, 0.7, 0.4, 0.8, 0.9];
/** Factors on the family's own threshold after calibration `none` (the detector's own scale). */
const RAW_FACTORS = [1.25, 0.8, 1.5, 0.65];

/** Post-rule variations: added before the family's own post-rules (so `feedback` stays last). */
const RULE_VARIANTS: readonly (readonly StageDeclaration[])[] = [
  [],
  [{ name: 'minDuration', points: 2 }],
  [{ name: 'softRefractory', level: 0.5, tau: 30 }],
];

export interface SearchOptions {
  /** How many candidates in all (the fixed ones included); at least 1. */
  budget: number;
  /** The pipeline of the version the production alias points at, when there is one. */
  production?: ResolvedPipeline;
  /** The engine's default pipeline (what a series gets without a model). */
  engineDefault: ResolvedPipeline;
  /** Pipelines to evaluate besides, with a label each (e.g. another model's production). */
  given?: readonly { label: string; pipeline: ResolvedPipeline }[];
  /** Restrict the search to these families (presets or detectors); default: all selectable. */
  families?: readonly string[];
}

/**
 * The candidates of one training: production, the engine default and the given pipelines always
 * (even past the budget), then search candidates until `budget` candidates in all.
 */
export function candidates(pipelines: Pipelines, opts: SearchOptions): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (origin: CandidateOrigin, family: string, pipeline: ResolvedPipeline): void => {
    const hash = pipelines.hash(pipeline);
    if (seen.has(hash)) return;
    seen.add(hash);
    out.push({ index: out.length, origin, family, pipeline, hash });
  };
  if (opts.production !== undefined) add('production', labelOf(opts.production), opts.production);
  add('default', labelOf(opts.engineDefault), opts.engineDefault);
  for (const g of opts.given ?? []) add('given', g.label, g.pipeline);
  if (out.length >= opts.budget) return out;
  for (const c of searchSpace(pipelines, opts.families)) {
    if (out.length >= opts.budget) break;
    add('search', c.family, c.pipeline);
  }
  return out;
}

/** The families a search visits, in order; throws VIGIL_ERR_BAD_PIPELINE naming an unknown one. */
export function familiesOf(pipelines: Pipelines, only?: readonly string[]): string[] {
  const selectable = pipelines.selectable().filter((n) => n !== 'default');
  if (only !== undefined) {
    for (const f of only) pipelines.named(f, 'families');
    return [...new Set(only)];
  }
  const known = FAMILY_ORDER.filter((f) => selectable.includes(f));
  const rest = selectable.filter((f) => !known.includes(f) && !HEAVY_FAMILIES.includes(f)).sort();
  return [...known, ...rest];
}

/** Every search candidate in visiting order (lazily: a budget stops it early). */
export function* searchSpace(
  pipelines: Pipelines,
  only?: readonly string[],
): Generator<{ family: string; pipeline: ResolvedPipeline }> {
  const families = familiesOf(pipelines, only).map((f) => ({ family: f, base: pipelines.named(f) }));
  const variants = families.map(({ family, base }) => variationsOf(family, base));
  const rounds = Math.max(0, ...variants.map((v) => v.length));
  for (let r = 0; r < rounds; r++) {
    for (let f = 0; f < families.length; f++) {
      const v = variants[f]![r];
      if (v !== undefined) yield { family: families[f]!.family, pipeline: pipelines.resolve(v) };
    }
  }
}

/**
 * A family's declaration first, then its variations: thresholds × rule variants, ordered by how
 * far they are from the declaration (one change before two).
 */
export function variationsOf(family: string, base: ResolvedPipeline): PipelineDeclaration[] {
  const thresholds = [
    base.threshold,
    ...(base.calibration.name === 'none'
      ? RAW_FACTORS.map((k) => round3(Math.min(1, base.threshold * k)))
      : CALIBRATED_THRESHOLDS),
  ].filter((t, i, all) => all.indexOf(t) === i);
  const rules = RULE_VARIANTS.filter(
    (v) => v.length === 0 || !base.postRules.some((r) => r.name === v[0]!.name),
  );
  const cells: { t: number; r: number }[] = [];
  for (let t = 0; t < thresholds.length; t++) for (let r = 0; r < rules.length; r++) cells.push({ t, r });
  cells.sort((a, b) => Number(a.t > 0) + Number(a.r > 0) - (Number(b.t > 0) + Number(b.r > 0)) || a.r - b.r);
  return cells.map(({ t, r }) => {
    const threshold = thresholds[t]!;
    const extra = rules[r]!;
    if (t === 0 && r === 0) return base;
    const changes = [...(t > 0 ? [`t=${threshold}`] : []), ...extra.map((s) => `${s.name}`)];
    return {
      name: `${family}/${changes.join('/')}`,
      detector: base.detector,
      calibration: base.calibration,
      threshold,
      postRules: [...extra.map((s) => ({ ...s })), ...base.postRules],
      ...(base.afterglow !== undefined ? { afterglow: base.afterglow } : {}),
    };
  });
}

/** The name a candidate pipeline is shown by: its label, else its detector's. */
export function labelOf(p: { name?: string; detector: { name: string } }): string {
  return p.name ?? p.detector.name;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
