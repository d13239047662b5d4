/**
 * NAB's application profiles: cost matrices that weigh true positives, false positives and
 * missed windows. Weights are positive magnitudes; the scorer writes the signs.
 */

export interface NabProfile {
  readonly name: string;
  readonly tpWeight: number;
  readonly fpWeight: number;
  readonly fnWeight: number;
  /** Present in NAB's config but never used by its scorer: true negatives contribute 0. */
  readonly tnWeight: number;
}

export const NAB_PROFILE_NAMES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;
export type NabProfileName = (typeof NAB_PROFILE_NAMES)[number];

/** The three profiles of `config/profiles.json` in NAB v1.1. */
export const NAB_PROFILES: readonly NabProfile[] = [
  { name: 'standard', tpWeight: 1, fpWeight: 0.11, fnWeight: 1, tnWeight: 1 },
  { name: 'reward_low_FP_rate', tpWeight: 1, fpWeight: 0.22, fnWeight: 1, tnWeight: 1 },
  { name: 'reward_low_FN_rate', tpWeight: 1, fpWeight: 0.11, fnWeight: 2, tnWeight: 1 },
];

const WEIGHTS = ['tpWeight', 'fpWeight', 'fnWeight', 'tnWeight'] as const;

/**
 * Profiles from the parsed JSON of NAB's `config/profiles.json`
 * (`{ "<name>": { "CostMatrix": { "tpWeight": …, … } } }`), in file order.
 * Throws a TypeError naming the path of the first missing or non-finite weight.
 */
export function profilesFromJson(json: unknown): NabProfile[] {
  if (typeof json !== 'object' || json === null) throw new TypeError('profiles: must be an object');
  return Object.entries(json).map(([name, entry]) => {
    const matrix = (entry as { CostMatrix?: Record<string, unknown> } | null)?.CostMatrix;
    const w: Record<string, number> = {};
    for (const key of WEIGHTS) {
      const v = matrix?.[key];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new TypeError(`profiles.${name}.CostMatrix.${key}: must be a finite number`);
      }
      w[key] = v;
    }
    return {
      name,
      tpWeight: w.tpWeight!,
      fpWeight: w.fpWeight!,
      fnWeight: w.fnWeight!,
      tnWeight: w.tnWeight!,
    };
  });
}
