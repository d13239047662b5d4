/**
 * A pipeline declaration: `detector → calibration → threshold → post-rules`, as JSON, e.g.
 *
 *   {"detector": {"name": "ewma", "params": {"alpha": 0.02}},
 *    "calibration": {"name": "likelihood"}, "threshold": 0.99,
 *    "postRules": [{"name": "direction", "value": "up"}, {"name": "minDuration", "points": 3}]}
 *
 * A calibration or post-rule names its kind and carries its params beside the name. Resolving a
 * declaration (pipelines.ts) fills every default in; the resolved form has a stable content hash.
 * An `afterglow` keeps scores raised after a high one, under the threshold: it ranks the points of
 * an anomaly after its first without flagging any (absent: the detector's default; level 0: none).
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
    afterglow: Type.Optional(
      Type.Object(
        {
          level: Type.Number({
            minimum: 0,
            exclusiveMaximum: 1,
            description:
              'every score is at least level × threshold × the decayed maximum of the earlier scores (so it never flags); 0: none',
          }),
          tau: Type.Optional(
            Type.Number({ exclusiveMinimum: 0, description: 'decay time constant in points (default 100)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'detector → calibration → threshold → post-rules (→ afterglow)',
  },
);

/** The afterglow's decay time constant when a declaration names none. */
export const AFTERGLOW_TAU = 100;

export interface AfterglowDeclaration {
  level: number;
  tau?: number;
}

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
  afterglow?: AfterglowDeclaration;
}

/** A declaration with every stage present and every default filled in (pipelines.ts resolves). */
export interface ResolvedPipeline {
  name?: string;
  detector: { name: string; params: Record<string, unknown> };
  calibration: StageDeclaration;
  threshold: number;
  postRules: StageDeclaration[];
  /**
   * Present when on (level > 0), or off (level 0) where the detector has a default afterglow, so
   * that resolving a resolved form gives it back; a pipeline without one hashes as before.
   */
  afterglow?: { level: number; tau: number };
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
