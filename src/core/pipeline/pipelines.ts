/**
 * The pipeline catalogue: detectors, calibrators, post-rules and presets by name. It resolves a
 * declaration (every stage's name and params checked against its registered schema, defaults
 * filled in, errors naming the field as `at.detector.params.alpha: must be <= 1`) and builds
 * running pipelines from resolved declarations, restoring their state where it belongs to them.
 */
import Value from 'typebox/value';
import { DEFAULT_THRESHOLD, type DetectorHints, type DetectorState } from '../detectors/detector.ts';
import type { DetectorRegistry } from '../detectors/registry.ts';
import type { Calibrator } from './calibrator.ts';
import {
  AFTERGLOW_TAU,
  type PipelineDeclaration,
  PipelineDeclarationSchema,
  pipelineHash,
  type ResolvedPipeline,
  type StageDeclaration,
  stageParams,
} from './declaration.ts';
import {
  type Afterglow,
  GlowingPipeline,
  PIPELINE_STATE_VERSION,
  Pipeline,
  type PipelineState,
} from './pipeline.ts';
import type { PostRule } from './post-rule.ts';
import { PRESETS } from './presets.ts';
import { badPipeline, type StageContext, type StageRegistry, schemaProblem } from './stage.ts';
import { builtinCalibrators, builtinPostRules } from './stages.ts';

/** Threshold of a default pipeline whose calibration is not `none`: half-way up NAB's log-likelihood scale. */
export const CALIBRATED_THRESHOLD = 0.5;

export class Pipelines {
  readonly detectors: DetectorRegistry;
  readonly calibrators: StageRegistry<Calibrator>;
  readonly postRules: StageRegistry<PostRule>;
  readonly #presets: ReadonlyMap<string, PipelineDeclaration>;
  readonly #hashes = new WeakMap<ResolvedPipeline, string>();
  /**
   * Each stage declaration's params, shared by every pipeline built from it (stages keep them: a
   * copy per series cost bytes per series, issue 19). Stages MUST NOT change their params.
   */
  readonly #stageParams = new WeakMap<StageDeclaration, Record<string, unknown>>();
  /**
   * Each pipeline's stage context without hints, shared by its series' stages: a stage that keeps
   * the context instead of copying its threshold saves each series a 16-byte box (issue 19).
   */
  readonly #contexts = new WeakMap<ResolvedPipeline, StageContext>();
  /** Each pipeline's afterglow constants, shared by its series. */
  readonly #afterglows = new WeakMap<ResolvedPipeline, Afterglow>();

  constructor(
    detectors: DetectorRegistry,
    calibrators = builtinCalibrators(),
    postRules = builtinPostRules(),
    presets = PRESETS,
  ) {
    this.detectors = detectors;
    this.calibrators = calibrators;
    this.postRules = postRules;
    this.#presets = presets;
  }

  /** Names a user may select: the presets and every detector that is not a building block. */
  selectable(): string[] {
    const detectors = this.detectors
      .factories()
      .filter((f) => f.buildingBlock === undefined)
      .map((f) => f.name);
    return [...new Set([...this.#presets.keys(), ...detectors])].sort();
  }

  /** The pipeline a name selects: a preset, or a selectable detector's default pipeline. */
  named(name: string, at = 'detector'): ResolvedPipeline {
    const preset = this.#presets.get(name);
    if (preset !== undefined) return this.resolve(preset);
    const f = this.detectors.factories().find((x) => x.name === name);
    if (f === undefined || f.buildingBlock !== undefined) {
      throw badPipeline(`${at}: unknown detector "${name}"; selectable: ${this.selectable().join(', ')}`, at);
    }
    return this.resolve({ name, detector: { name } });
  }

  /**
   * `input` checked against the declaration schema and each stage's schema, defaults filled in.
   * `at` prefixes every error path (e.g. `engine.pipeline`). A missing calibration is the
   * detector's default one; a missing threshold the one recommended for that calibration.
   */
  resolve(input: unknown, at = ''): ResolvedPipeline {
    const pre = at === '' ? '' : `${at}.`;
    const problem = schemaProblem(PipelineDeclarationSchema, input, at);
    if (problem !== undefined) throw badPipeline(problem, problem.slice(0, problem.indexOf(':')));
    const d = input as PipelineDeclaration;
    const f = this.detectors.factories().find((x) => x.name === d.detector.name);
    if (f === undefined) {
      throw badPipeline(
        `${pre}detector.name: unknown detector "${d.detector.name}"; registered: ${this.detectors
          .factories()
          .map((x) => x.name)
          .join(', ')}`,
        `${pre}detector.name`,
      );
    }
    const params = { ...(f.defaults as Record<string, unknown>), ...(d.detector.params ?? {}) };
    const bad = schemaProblem(f.params, params, `${pre}detector.params`);
    if (bad !== undefined) throw badPipeline(bad, bad.slice(0, bad.indexOf(':')));
    // Bounded state (about 1 KB) and NAB scores within a point of the full likelihood's
    // (docs/detectors.md), so a light detector stays light through its default pipeline.
    const defaultCalibration = f.calibration ?? 'lite-likelihood';
    const calibration = d.calibration ?? { name: defaultCalibration };
    // Absent: the detector's default afterglow. Level 0 (none) stays in the resolved form only
    // where the detector has a default, so that resolving the resolved form again keeps it off; a
    // pipeline of a detector without one hashes as it did before afterglows existed.
    const glow = d.afterglow ?? f.afterglow;
    const keepGlow = glow !== undefined && (glow.level > 0 || f.afterglow !== undefined);
    const resolved: ResolvedPipeline = {
      ...(d.name !== undefined ? { name: d.name } : {}),
      detector: { name: f.name, params: Value.Clone(params) },
      calibration: this.#stage(this.calibrators, calibration, `${pre}calibration`),
      threshold:
        d.threshold ??
        (calibration.name === 'none' ? (f.threshold ?? DEFAULT_THRESHOLD) : CALIBRATED_THRESHOLD),
      postRules: (d.postRules ?? []).map((r, i) => this.#stage(this.postRules, r, `${pre}postRules.${i}`)),
      ...(keepGlow ? { afterglow: { level: glow.level, tau: glow.tau ?? AFTERGLOW_TAU } } : {}),
    };
    return resolved;
  }

  hash(p: ResolvedPipeline): string {
    let h = this.#hashes.get(p);
    if (h === undefined) {
      h = pipelineHash(p);
      this.#hashes.set(p, h);
    }
    return h;
  }

  /**
   * A running pipeline of `p` (resolved). `state` is restored where it is this pipeline's (same
   * hash); a bare detector state (checkpoints from before pipelines) restores the detector stage
   * when it is the same detector. Anything else starts fresh.
   */
  create(p: ResolvedPipeline, state?: PipelineState | DetectorState, hints?: DetectorHints): Pipeline {
    const hash = this.hash(p);
    const own = state !== undefined && 'pipeline' in state && state.pipeline === PIPELINE_STATE_VERSION;
    const full = own && state.hash === hash ? state : undefined;
    const legacy = state !== undefined && !('pipeline' in state) && state.detector === p.detector.name;
    const detectorState = full?.detector ?? (legacy ? (state as DetectorState) : undefined);
    const detector = this.detectors.create(p.detector.name, p.detector.params, detectorState, hints);
    const ctx = hints !== undefined ? { threshold: p.threshold, hints } : this.#contextOf(p);
    const calibrator = this.calibrators.create(
      p.calibration.name,
      this.#paramsOf(p.calibration),
      ctx,
      full?.calibration,
    );
    const rules = p.postRules.map((r, i) =>
      this.postRules.create(r.name, this.#paramsOf(r), ctx, full?.postRules[i]),
    );
    if (p.afterglow === undefined || p.afterglow.level === 0) {
      return new Pipeline(p, hash, detector, calibrator, rules);
    }
    return new GlowingPipeline(p, hash, detector, calibrator, rules, this.#afterglowOf(p), full?.glow);
  }

  /** Builds `name` (preset or detector) with its default pipeline; for benches and tests. */
  createNamed(name: string, hints?: DetectorHints): Pipeline {
    return this.create(this.named(name), undefined, hints);
  }

  #contextOf(p: ResolvedPipeline): StageContext {
    let ctx = this.#contexts.get(p);
    if (ctx === undefined) {
      ctx = Object.freeze({ threshold: p.threshold });
      this.#contexts.set(p, ctx);
    }
    return ctx;
  }

  #afterglowOf(p: ResolvedPipeline): Afterglow {
    let a = this.#afterglows.get(p);
    if (a === undefined) {
      const { level, tau } = p.afterglow!;
      a = Object.freeze({ ceiling: level * p.threshold, decay: Math.exp(-1 / tau) });
      this.#afterglows.set(p, a);
    }
    return a;
  }

  #paramsOf(s: StageDeclaration): Record<string, unknown> {
    let params = this.#stageParams.get(s);
    if (params === undefined) {
      params = stageParams(s);
      this.#stageParams.set(s, params);
    }
    return params;
  }

  #stage<S>(registry: StageRegistry<S>, s: StageDeclaration, at: string): StageDeclaration {
    return { name: s.name, ...registry.resolve(s.name, stageParams(s), at) };
  }
}

const cache = new WeakMap<DetectorRegistry, Pipelines>();

/** The catalogue over `detectors` with the built-in stages and presets (one per registry). */
export function pipelinesOf(detectors: DetectorRegistry): Pipelines {
  let p = cache.get(detectors);
  if (p === undefined) {
    p = new Pipelines(detectors);
    cache.set(detectors, p);
  }
  return p;
}
