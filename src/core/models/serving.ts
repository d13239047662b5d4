/**
 * Which series a served model applies to (docs/models.md, "Serving and hot reload"): each loaded
 * model's selector is matched against the series catalog, and the engine gets, per matched series,
 * the model's config and the version it comes from. Pure: the detectors' model poll
 * (app/model-poll.ts) reads the registry and the catalog, and hands the result to the engine.
 *
 * Several models matching one series: the first in `models` order wins, which is the order of
 * `models.serve` when it names the models, else model names sorted (ModelRegistry.models). A
 * per-series config (the API's) overrides any model; that precedence is the engine's.
 */
import { matches, type Selector } from '../selector.ts';
import type { Tags } from '../series.ts';
import type { SeriesConfig } from '../series-config.ts';
import type { ModelRef } from './model.ts';

/** A series' pipeline from a served model: the config the engine runs, and which version it is. */
export interface ModelAssignment {
  config: SeriesConfig;
  model: ModelRef;
}

/** A model as detectors serve it: its version, its parsed selector and the config of its pipeline. */
export interface ServedModel {
  ref: ModelRef;
  selector: Selector;
  /** The model's pipeline resolved against the detector registry (defaults filled in). */
  config: SeriesConfig;
}

/**
 * The assignment of every series some model's selector matches (series absent: none matches).
 * Selectors see the stored tags, tenant tag included, so a model may be scoped to a tenant with
 * `__tenant__="…"`. One assignment object per model, shared by its series.
 */
export function modelAssignments(
  models: readonly ServedModel[],
  series: Iterable<{ id: number; metric: string; tags: Tags }>,
): Map<number, ModelAssignment> {
  const out = new Map<number, ModelAssignment>();
  if (models.length === 0) return out;
  const shared = models.map((m) => ({ selector: m.selector, a: { config: m.config, model: m.ref } }));
  for (const s of series) {
    for (const m of shared) {
      if (matches(m.selector, s.metric, s.tags)) {
        out.set(s.id, m.a);
        break;
      }
    }
  }
  return out;
}

/** `name@version`, as logs, metrics and the stores spell a model version. */
export function modelLabel(ref: ModelRef): string {
  return `${ref.name}@${ref.version}`;
}

/** The ref of a `name@version` (model names hold no `@`: checkModelName); undefined when it is not one. */
export function parseModelLabel(label: string): ModelRef | undefined {
  const at = label.indexOf('@');
  if (at <= 0 || at === label.length - 1) return undefined;
  return { name: label.slice(0, at), version: label.slice(at + 1) };
}

/** Whether two refs name the same version (both absent: the same too). */
export function sameModel(a: ModelRef | undefined, b: ModelRef | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.name === b.name && a.version === b.version);
}
