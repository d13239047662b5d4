/**
 * One registry: a short name maps to a factory. Params are JSON objects merged over the factory's
 * defaults and validated against its schema, so `{ "alpha": 0.05 }` means the same everywhere.
 */
import Value from 'typebox/value';
import { VigilError } from '../errors.ts';
import {
  DEFAULT_THRESHOLD,
  type Detector,
  type DetectorFactory,
  type DetectorHints,
  type DetectorState,
} from './detector.ts';

export class DetectorRegistry {
  readonly #factories = new Map<string, DetectorFactory<never>>();
  readonly #aliases = new Map<string, string>();
  /** Merged params by the params object handed to `create`, then by detector name. */
  readonly #resolved = new WeakMap<object, Map<string, Record<string, unknown>>>();

  register<P>(factory: DetectorFactory<P>): this {
    if (this.#factories.has(factory.name)) throw new Error(`detector ${factory.name} registered twice`);
    this.#factories.set(factory.name, factory as DetectorFactory<never>);
    return this;
  }

  /** `alias` resolves to `target`, e.g. `default` → the detector chosen by measurement. */
  alias(alias: string, target: string): this {
    this.#aliases.set(alias, target);
    return this;
  }

  names(): string[] {
    return [...this.#factories.keys(), ...this.#aliases.keys()].sort();
  }

  factories(): DetectorFactory<unknown>[] {
    return [...this.#factories.values()] as DetectorFactory<unknown>[];
  }

  get(name: string): DetectorFactory<unknown> {
    const f = this.#factories.get(this.#aliases.get(name) ?? name);
    if (f === undefined) {
      throw new VigilError(
        'VIGIL_ERR_UNKNOWN_DETECTOR',
        `unknown detector "${name}"; registered: ${this.names().join(', ')}`,
        { location: { field: 'detector' } },
      );
    }
    return f as DetectorFactory<unknown>;
  }

  /** The detector's recommended anomaly threshold. */
  thresholdOf(name: string): number {
    return this.get(name).threshold ?? DEFAULT_THRESHOLD;
  }

  /** Defaults merged with `params`, validated; throws VIGIL_ERR_BAD_DETECTOR_PARAMS naming the field. */
  resolveParams(name: string, params: Record<string, unknown> = {}): Record<string, unknown> {
    const f = this.get(name);
    const merged = { ...(f.defaults as Record<string, unknown>), ...params };
    const errors = [...Value.Errors(f.params, merged)];
    if (errors.length > 0) {
      const e = errors.find((x) => x.instancePath !== '') ?? errors[0]!;
      const field = e.instancePath.replace(/^\//, '').replaceAll('/', '.') || 'params';
      throw new VigilError('VIGIL_ERR_BAD_DETECTOR_PARAMS', `${f.name}.${field}: ${e.message}`, {
        location: { field: `params.${field}` },
      });
    }
    return merged;
  }

  /**
   * A detector `name` built with `params` merged over its defaults. The merged params are kept per
   * `params` object (and name) and shared by every detector built from it: a series' pipeline
   * passes the same declaration's params for each series, and a private copy each cost a few
   * hundred bytes a series (issue 19). So `params` MUST NOT change after it was passed here, and
   * detectors MUST NOT change their params.
   */
  create(
    name: string,
    params: Record<string, unknown> = {},
    state?: DetectorState,
    hints?: DetectorHints,
  ): Detector {
    const f = this.get(name);
    let byName = this.#resolved.get(params);
    if (byName === undefined) {
      byName = new Map();
      this.#resolved.set(params, byName);
    }
    let resolved = byName.get(f.name);
    if (resolved === undefined) {
      resolved = this.resolveParams(name, params);
      byName.set(f.name, resolved);
    }
    return f.create(resolved, state, hints);
  }
}
