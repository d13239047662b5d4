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

  create(
    name: string,
    params: Record<string, unknown> = {},
    state?: DetectorState,
    hints?: DetectorHints,
  ): Detector {
    const f = this.get(name);
    return f.create(this.resolveParams(name, params), state, hints);
  }
}
