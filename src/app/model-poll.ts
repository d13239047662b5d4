/**
 * How served models reach the engine (docs/models.md, "Serving and hot reload"): every
 * `models.pollMs` a detector process (the embedded server, each `vigil detector`) reads the
 * `@production` alias of each served model from the registry; when it points at another version,
 * the round loads that version's model.json, checks it (format, selector, pipeline against the
 * detector registry), resolves which series its selector matches (core/models/serving.ts) and
 * hands the assignments to `apply` — the engine threads embedded, every partition task scaled out.
 * A round also resolves again when the number of series changed, so new series get their model.
 *
 * Failures never change what is served:
 * - a corrupt or invalid version is refused (logged once with the path or URI of its model.json,
 *   counted); the loaded version keeps serving, and a later version is tried as usual;
 * - the registry unreachable (VIGIL_ERR_UNAVAILABLE, or any error of a registry call): what is
 *   loaded keeps serving, the outage is logged once, and every poll retries.
 *
 * `models.path` (MODEL_PATH): the one exported model directory loaded at start is served and the
 * registry is never read; rounds only re-resolve new series.
 */
import { VigilError } from '../core/errors.ts';
import {
  decodeModelSpec,
  MODEL_FILE,
  type ModelRef,
  type ModelSpec,
  PRODUCTION_ALIAS,
} from '../core/models/model.ts';
import {
  type ModelAssignment,
  modelAssignments,
  modelLabel,
  type ServedModel,
} from '../core/models/serving.ts';
import type { Pipelines } from '../core/pipeline/pipelines.ts';
import { parseSelector } from '../core/selector.ts';
import type { Tags } from '../core/series.ts';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.ts';
import { SerialRounds } from './serial-rounds.ts';

/** A model as loaded: what the engine serves, and where it came from (for logs). */
export interface LoadedModel extends ServedModel {
  /** The path or URI of its model.json. */
  source: string;
  /** Epoch ms when this process loaded it. */
  loadedAt: number;
}

/** What the poll reports (logs and metrics are the caller's). */
export interface ModelPollEvents {
  /** `model` now serves (`previous`: the version it replaced, if any). */
  loaded(model: LoadedModel, previous: ModelRef | undefined): void;
  /** A version was refused (corrupt or invalid artifact); `err` names its path or URI. */
  refused(ref: ModelRef, err: unknown): void;
  /** The model has no `@production` version any more (or is gone): its series go back to the default. */
  unserved(previous: ModelRef): void;
  /** The registry could not be read; reported once per outage. */
  unavailable(err: unknown): void;
  /** The registry answers again after an outage. */
  recovered(): void;
  /** A round failed otherwise (reading the series catalog, applying); retried at the next poll. */
  failed(err: unknown): void;
}

export type ModelSource =
  /** The registry's `@production` versions of `serve` (empty: every registered model). */
  | { kind: 'registry'; registry: ModelRegistry; serve: readonly string[] }
  /** Models loaded once (models.path): served as they are, never reloaded. */
  | { kind: 'fixed'; models: readonly LoadedModel[] };

export interface ModelPollDeps {
  source: ModelSource;
  /** The detector registry's pipelines (a model's pipeline must resolve against them). */
  pipelines: Pipelines;
  /** How many series the catalog holds (a change means new series to resolve). */
  seriesCount(): Promise<number>;
  /** Every series of the catalog, with its stored tags (tenant tag included). */
  series(): Promise<Iterable<{ id: number; metric: string; tags: Tags }>>;
  /**
   * Hands the served model of every matched series to the engine(s), replacing the previous set;
   * `keep`: models whose @production was refused with nothing of them loaded (a restart onto a
   * corrupt version): series still running one of their versions keep it (Engine.setModels).
   */
  apply(assignments: Map<number, ModelAssignment>, keep: string[]): Promise<void>;
  events: ModelPollEvents;
  now(): number;
}

/** Counters for /metrics (docs/metrics.md). */
export interface ModelPollStats {
  /** Versions loaded to serve (the first of each model included). */
  reloads: number;
  /** Versions refused (corrupt or invalid). */
  loadFailures: number;
  /** Polls that could not read the registry. */
  registryErrors: number;
  /** Epoch ms of the last change of what is served; 0: none yet. */
  lastSwitchMs: number;
}

export class ModelPoll {
  readonly #d: ModelPollDeps;
  /** Loaded models by name. */
  readonly #loaded = new Map<string, LoadedModel>();
  /** Versions refused, by `name@version`: not tried again. */
  readonly #refused = new Set<string>();
  /** Model names in serving order (models.serve's, else sorted), as of the last good read. */
  #order: string[] = [];
  #down = false;
  /** Whether what is served was read once (until then, nothing is applied: a restore keeps its checkpoint's models). */
  #known = false;
  /** The series count the current assignments were resolved from; -1: they must be resolved. */
  #resolvedCount = -1;
  #current = new Map<number, ModelAssignment>();
  /** Models whose @production was refused with nothing of them loaded (see ModelPollDeps.apply). */
  #pending = new Set<string>();
  readonly #rounds = new SerialRounds(() => this.#round());
  readonly stats: ModelPollStats = { reloads: 0, loadFailures: 0, registryErrors: 0, lastSwitchMs: 0 };

  constructor(deps: ModelPollDeps) {
    this.#d = deps;
    if (deps.source.kind === 'fixed') {
      for (const m of deps.source.models) this.#loaded.set(m.ref.name, m);
      this.#order = deps.source.models.map((m) => m.ref.name);
      this.#known = true;
    }
  }

  /** The models served now, in serving order. */
  get loaded(): LoadedModel[] {
    return this.#order.flatMap((n) => this.#loaded.get(n) ?? []);
  }

  /** The assignments as last applied; undefined before the first (an engine made later takes them). */
  get current(): ReadonlyMap<number, ModelAssignment> | undefined {
    return this.#known && this.#resolvedCount >= 0 ? this.#current : undefined;
  }

  /**
   * Runs the first round (it never rejects: an unreachable registry is reported and retried; the
   * engine then keeps what its checkpoints hold), then polls every `intervalMs`.
   */
  async start(intervalMs: number): Promise<void> {
    const failed = (err: unknown) => this.#d.events.failed(err);
    await this.poll().catch(failed);
    this.#rounds.every(intervalMs, failed);
  }

  /** A round after any in flight; resolves with whether it applied a new set. */
  poll(): Promise<boolean> {
    return this.#rounds.run();
  }

  async stop(): Promise<void> {
    await this.#rounds.stop();
  }

  async #round(): Promise<boolean> {
    const src = this.#d.source;
    const changed = src.kind === 'registry' ? await this.#refresh(src.registry, src.serve) : false;
    if (!this.#known) return false;
    const models = this.loaded;
    // No model: nothing to match, and the empty set needs applying once only.
    const count = models.length === 0 ? 0 : await this.#d.seriesCount();
    if (!changed && count === this.#resolvedCount) return false;
    const next = models.length === 0 ? new Map() : modelAssignments(models, await this.#d.series());
    await this.#d.apply(next, [...this.#pending]);
    this.#current = next;
    this.#resolvedCount = count;
    return true;
  }

  /** Reads the registry; returns whether what is served changed. Never throws for the registry. */
  async #refresh(registry: ModelRegistry, serve: readonly string[]): Promise<boolean> {
    let changed = false;
    try {
      const names = serve.length > 0 ? [...serve] : await registry.models();
      const versions: [string, ModelVersion | undefined][] = [];
      for (const name of names) versions.push([name, await registry.byAlias(name, PRODUCTION_ALIAS)]);
      // Models no longer listed or without @production go back to the default.
      const wanted = new Set(versions.filter(([, v]) => v !== undefined).map(([n]) => n));
      for (const [name, m] of this.#loaded) {
        if (wanted.has(name)) continue;
        this.#loaded.delete(name);
        this.#d.events.unserved(m.ref);
        changed = true;
      }
      const pending = new Set<string>();
      for (const [name, v] of versions) {
        if (v === undefined || this.#loaded.get(name)?.ref.version === v.version) continue;
        const ref = { name, version: v.version };
        const key = modelLabel(ref);
        const model = this.#refused.has(key) ? undefined : await this.#load(registry, v, ref);
        if (model === undefined) {
          // Refused with nothing of the model loaded (a start onto a corrupt version): its series
          // keep what their checkpoints hold rather than fall back to the default.
          if (!this.#loaded.has(name)) pending.add(name);
          continue;
        }
        const previous = this.#loaded.get(name)?.ref;
        this.#loaded.set(name, model);
        this.stats.reloads++;
        this.#d.events.loaded(model, previous);
        changed = true;
      }
      this.#order = names;
      if ([...pending].join() !== [...this.#pending].join()) {
        this.#pending = pending;
        changed = true;
      }
      if (this.#down) {
        this.#down = false;
        this.#d.events.recovered();
      }
      this.#known = true;
    } catch (err) {
      this.stats.registryErrors++;
      if (!this.#down) {
        this.#down = true;
        this.#d.events.unavailable(err);
      }
    }
    if (changed) {
      this.stats.lastSwitchMs = this.#d.now();
      this.#resolvedCount = -1;
    }
    return changed;
  }

  /** The version's model checked and resolved; undefined when refused. Registry errors throw. */
  async #load(registry: ModelRegistry, v: ModelVersion, ref: ModelRef): Promise<LoadedModel | undefined> {
    const where = `${v.source.replace(/\/+$/, '')}/${MODEL_FILE}`;
    let files: Map<string, Uint8Array>;
    try {
      files = await registry.files(ref.name, ref.version);
    } catch (err) {
      // A missing or corrupt artifact is the version's fault; anything else is the registry's.
      const code = (err as { code?: unknown }).code;
      if (code !== 'VIGIL_ERR_BAD_MODEL' && code !== 'VIGIL_ERR_UNKNOWN_MODEL') throw err;
      this.#refuse(ref, err);
      return undefined;
    }
    try {
      const bytes = files.get(MODEL_FILE);
      if (bytes === undefined) throw new VigilError('VIGIL_ERR_BAD_MODEL', `${where}: missing`);
      const spec = decodeModelSpec(bytes, where);
      if (spec.name !== ref.name) {
        throw new VigilError(
          'VIGIL_ERR_BAD_MODEL',
          `${where}: name: "${spec.name}" is not the registered model "${ref.name}"`,
        );
      }
      return servedModel(spec, ref, where, this.#d.pipelines, this.#d.now());
    } catch (err) {
      this.#refuse(ref, err);
      return undefined;
    }
  }

  #refuse(ref: ModelRef, err: unknown): void {
    this.#refused.add(modelLabel(ref));
    this.stats.loadFailures++;
    this.#d.events.refused(ref, err);
  }
}

/**
 * A parsed model as served: its selector parsed and its pipeline resolved against `pipelines`; a
 * pipeline that does not resolve is VIGIL_ERR_BAD_MODEL naming `where` and the field.
 */
export function servedModel(
  spec: ModelSpec,
  ref: ModelRef,
  where: string,
  pipelines: Pipelines,
  now: number,
): LoadedModel {
  let pipeline: ReturnType<Pipelines['resolve']>;
  try {
    pipeline = pipelines.resolve(spec.pipeline, 'pipeline');
  } catch (err) {
    throw new VigilError('VIGIL_ERR_BAD_MODEL', `${where}: ${(err as Error).message}`, { cause: err });
  }
  return { ref, selector: parseSelector(spec.selector), config: { pipeline }, source: where, loadedAt: now };
}
