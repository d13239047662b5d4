/**
 * Pipeline stages other than the detector (calibrators, post-rules): each kind is registered under
 * a short name with a TypeBox params schema that declares every default once, and builds a small
 * plain object that scores, learns and snapshots. The detector stage keeps its own registry
 * (detectors/registry.ts); this one is the same idea for the stages after it.
 */
import type { TSchema } from 'typebox';
import Value from 'typebox/value';
import type { DetectorHints } from '../detectors/detector.ts';
import { VigilError } from '../errors.ts';

/** JSON-serialisable stage state, tagged with the stage kind's name and version. */
export interface StageState {
  stage: string;
  version: number;
  data: unknown;
}

/**
 * What a stage needs to know about the pipeline it is part of. Shared by the stages of every
 * series of a pipeline: a stage MUST NOT change it, and MAY keep it.
 */
export interface StageContext {
  /** The pipeline's threshold (score ≥ threshold is anomalous). */
  threshold: number;
  hints?: DetectorHints;
}

export interface StageKind<P, S> {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  /** TypeBox schema of the params (without `name`); every property declares its default. */
  readonly params: TSchema;
  readonly defaults: P;
  /** Upper bound on `JSON.stringify(snapshot())` in bytes at default params (conformance-checked). */
  readonly maxStateBytes: number;
  create(params: P, ctx: StageContext, state?: StageState): S;
}

/** The first schema error of `value` as `path: message`, the path under `at` (e.g. `calibration`). */
export function schemaProblem(schema: TSchema, value: unknown, at: string): string | undefined {
  const errors = [...Value.Errors(schema, value)];
  if (errors.length === 0) return undefined;
  const e = errors.find((x) => x.instancePath !== '') ?? errors[0]!;
  const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
  const path = [at, ...e.instancePath.split('/').filter((p) => p !== '')].filter((p) => p !== '').join('.');
  if (extra !== undefined && extra.length > 0) return `${path ? `${path}.` : ''}${extra[0]}: unknown key`;
  // A key that `additionalProperties: false` forbids is reported as the false schema it meets.
  if (e.keyword === 'boolean') return `${path || '(root)'}: unknown key`;
  // A union of literals fails once per literal: name them all.
  const literals = errors
    .filter((x) => x.instancePath === e.instancePath && x.keyword === 'const')
    .map((x) => JSON.stringify((x.params as { allowedValue?: unknown }).allowedValue));
  if (literals.length > 1) return `${path || '(root)'}: must be one of ${literals.join(', ')}`;
  return `${path || '(root)'}: ${e.message}`;
}

/** A bad pipeline declaration: the message names the field, e.g. `detector.params.alpha: …`. */
export function badPipeline(message: string, field: string): VigilError {
  return new VigilError('VIGIL_ERR_BAD_PIPELINE', message, { location: { field } });
}

export class StageRegistry<S> {
  readonly #kind: string;
  readonly #kinds = new Map<string, StageKind<never, S>>();

  /** `kind` names the stage kind in errors (`calibrator`, `post-rule`). */
  constructor(kind: string) {
    this.#kind = kind;
  }

  register<P>(kind: StageKind<P, S>): this {
    if (this.#kinds.has(kind.name)) throw new Error(`${this.#kind} ${kind.name} registered twice`);
    this.#kinds.set(kind.name, kind as unknown as StageKind<never, S>);
    return this;
  }

  names(): string[] {
    return [...this.#kinds.keys()].sort();
  }

  kinds(): StageKind<unknown, S>[] {
    return [...this.#kinds.values()] as StageKind<unknown, S>[];
  }

  /** The kind called `name`; `at` is the declaration path used in the error. */
  get(name: string, at: string): StageKind<unknown, S> {
    const k = this.#kinds.get(name);
    if (k === undefined) {
      throw badPipeline(
        `${at}.name: unknown ${this.#kind} "${name}"; registered: ${this.names().join(', ')}`,
        `${at}.name`,
      );
    }
    return k as StageKind<unknown, S>;
  }

  /** Defaults merged with `params`, validated; errors name the path under `at`. */
  resolve(name: string, params: Record<string, unknown>, at: string): Record<string, unknown> {
    const k = this.get(name, at);
    const merged = { ...(k.defaults as Record<string, unknown>), ...params };
    const problem = schemaProblem(k.params, merged, at);
    if (problem !== undefined) throw badPipeline(problem, problem.slice(0, problem.indexOf(':')));
    return merged;
  }

  create(name: string, params: Record<string, unknown>, ctx: StageContext, state?: StageState): S {
    const k = this.get(name, this.#kind);
    if (state !== undefined && (state.stage !== k.name || state.version !== k.version)) {
      throw new Error(
        `${this.#kind} ${k.name} v${k.version} cannot restore ${state.stage} v${state.version}`,
      );
    }
    return k.create(params as never, ctx, state);
  }
}
