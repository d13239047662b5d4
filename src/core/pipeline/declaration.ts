/**
 * A pipeline declaration: `detector → calibration → threshold → post-rules`, as JSON, e.g.
 *
 *   {"detector": {"name": "ewma", "params": {"alpha": 0.02}},
 *    "calibration": {"name": "likelihood"}, "threshold": 0.99,
 *    "postRules": [{"name": "direction", "value": "up"}, {"name": "minDuration", "points": 3}]}
 *
 * A calibration or post-rule names its kind and carries its params beside the name. Resolving a
 * declaration (pipelines.ts) fills every default in; the resolved form has a stable content hash.
 */
import { createHash } from 'node:crypto';
import Type from 'typebox';

const StageRef = Type.Object(
  { name: Type.String({ minLength: 1, description: 'registered stage kind' }) },
  { additionalProperties: true },
);

export const PipelineDeclarationSchema = Type.Object(
  {
    name: Type.Optional(
      Type.String({ minLength: 1, description: 'a label for the pipeline (presets carry theirs)' }),
    ),
    detector: Type.Object(
      {
        name: Type.String({ minLength: 1, description: 'registered detector' }),
        params: Type.Optional(
          Type.Record(Type.String(), Type.Unknown(), { description: "merged over the detector's defaults" }),
        ),
      },
      { additionalProperties: false },
    ),
    calibration: Type.Optional(StageRef),
    threshold: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'calibrated score ≥ threshold is anomalous' }),
    ),
    postRules: Type.Optional(Type.Array(StageRef, { description: 'applied in order after the threshold' })),
  },
  { additionalProperties: false, description: 'detector → calibration → threshold → post-rules' },
);

/** A stage after the detector: its kind's name and its params beside it. */
export interface StageDeclaration {
  name: string;
  [param: string]: unknown;
}

export interface PipelineDeclaration {
  name?: string;
  detector: { name: string; params?: Record<string, unknown> };
  calibration?: StageDeclaration;
  threshold?: number;
  postRules?: StageDeclaration[];
}

/** A declaration with every stage present and every default filled in (pipelines.ts resolves). */
export interface ResolvedPipeline {
  name?: string;
  detector: { name: string; params: Record<string, unknown> };
  calibration: StageDeclaration;
  threshold: number;
  postRules: StageDeclaration[];
}

/** JSON with object keys sorted at every level: equal declarations give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** The content hash of a resolved declaration: sha256 hex of its canonical JSON (hashing is not I/O). */
export function pipelineHash(p: ResolvedPipeline): string {
  return createHash('sha256').update(canonicalJson(p)).digest('hex');
}

/** `params` of a stage declaration: everything but its name. */
export function stageParams(s: StageDeclaration): Record<string, unknown> {
  const { name: _name, ...params } = s;
  return params;
}
