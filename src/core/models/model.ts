/**
 * A model: a named, versioned pipeline declaration for the series a selector picks, plus the
 * report of the training that chose it. What is trained, registered, loaded and explained is this
 * one object. Its stored form is a directory (an MLflow artifact directory, a folder under the
 * data dir, or an exported copy that `models.path` / `MODEL_PATH` loads):
 *
 *   model.json     the ModelSpec below (required)
 *   report.json    the training report, when trained (optional; also inside model.json)
 *   backtest.svg   a plot of the winner's backtest (optional, for people)
 *
 * Pure: parsing and validation only; adapters read and write the files.
 */

import { VigilError } from '../errors.ts';
import type { PipelineDeclaration } from '../pipeline/declaration.ts';
import { parseSelector } from '../selector.ts';

export const MODEL_FORMAT = 'vigil-model';
export const MODEL_FORMAT_VERSION = 1;
/** The file of a model directory that holds its spec. */
export const MODEL_FILE = 'model.json';
/** The alias detectors serve, and that `vigil train` moves only to a version that beats it. */
export const PRODUCTION_ALIAS = 'production';
/** The tag `vigil train` puts on a version that did not beat production. */
export const CANDIDATE_TAG = 'candidate';

/** What a training run found; free to grow, but these keys are read by the CLI and docs. */
export interface TrainingReport {
  /** Which objective chose the winner: NAB-style on feedback labels, or label-free. */
  objective: 'feedback-nab' | 'alert-rate';
  /** The winner's objective value on the backtest (higher is better). */
  score: number;
  /** Production's value on the same backtest, when there was a production version. */
  productionScore?: number;
  candidates: number;
  series: number;
  points: number;
  labels: number;
  from: number;
  to: number;
  trainedAt: number;
  [key: string]: unknown;
}

export interface ModelSpec {
  format: typeof MODEL_FORMAT;
  formatVersion: typeof MODEL_FORMAT_VERSION;
  /** The registered model's name (checkModelName). */
  name: string;
  /** The series it applies to, in selector syntax (core/selector.ts), e.g. `{__name__=~"cpu_.*"}`. */
  selector: string;
  pipeline: PipelineDeclaration;
  report?: TrainingReport;
}

/** Where a loaded model came from: its registry version, or an exported directory. */
export interface ModelRef {
  name: string;
  version: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Model names: 1–128 of letters, digits, `_`, `.`, `-`, starting with a letter or digit (safe as a path and in MLflow). */
export function checkModelName(name: string, field = 'model'): void {
  if (!NAME.test(name)) {
    throw new VigilError(
      'VIGIL_ERR_BAD_MODEL',
      `${field}: "${name}" is not a model name (1–128 of letters, digits, _ . -, starting with a letter or digit)`,
      { location: { field } },
    );
  }
}

/**
 * A model spec from the parsed JSON of a model.json; `where` (its path or URI) is named in every
 * error, so a corrupt artifact is refused with the file that is wrong. The pipeline is checked for
 * shape here; resolving it against the detector registry (unknown detectors, bad params) is the
 * loader's job (core/pipeline/pipelines.ts), which must also name `where`.
 */
export function parseModelSpec(json: unknown, where: string): ModelSpec {
  const bad = (msg: string): never => {
    throw new VigilError('VIGIL_ERR_BAD_MODEL', `${where}: ${msg}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('not a JSON object');
  const o = json as Record<string, unknown>;
  if (o.format !== MODEL_FORMAT) bad(`format: expected "${MODEL_FORMAT}", got ${JSON.stringify(o.format)}`);
  if (o.formatVersion !== MODEL_FORMAT_VERSION) {
    bad(`formatVersion: expected ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(o.formatVersion)}`);
  }
  if (typeof o.name !== 'string') bad('name: missing or not a string');
  try {
    checkModelName(o.name as string);
  } catch (err) {
    bad(`name: ${(err as Error).message}`);
  }
  if (typeof o.selector !== 'string') bad('selector: missing or not a string');
  try {
    parseSelector(o.selector as string);
  } catch (err) {
    bad(`selector: ${(err as Error).message}`);
  }
  const p = o.pipeline as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) bad('pipeline: missing or not an object');
  const d = (p as Record<string, unknown>).detector as Record<string, unknown> | undefined;
  if (typeof d !== 'object' || d === null || typeof d.name !== 'string')
    bad('pipeline.detector.name: missing');
  if (o.report !== undefined && (typeof o.report !== 'object' || o.report === null))
    bad('report: not an object');
  return o as unknown as ModelSpec;
}

/** The bytes of a model.json for `spec` (stable key order as given, two-space indent, final newline). */
export function encodeModelSpec(spec: ModelSpec): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(spec, null, 2)}\n`);
}

/** A model.json's bytes parsed and checked; `where` is named in errors (parseModelSpec). */
export function decodeModelSpec(bytes: Uint8Array, where: string): ModelSpec {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    throw new VigilError('VIGIL_ERR_BAD_MODEL', `${where}: not valid UTF-8 JSON (${(err as Error).message})`);
  }
  return parseModelSpec(json, where);
}
