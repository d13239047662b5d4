/**
 * What a wrapper detector (likelihood, ensemble) needs to build its inner detectors by name. The
 * DetectorRegistry satisfies it; wrappers receive it as an argument instead of importing the
 * registry, which keeps the module graph acyclic.
 */
import type { Detector, DetectorFactory, DetectorHints, DetectorState } from './detector.ts';

export interface DetectorSource {
  /** Builds `name` with `params` merged over its defaults and validated (errors name the field). */
  create(
    name: string,
    params?: Record<string, unknown>,
    state?: DetectorState,
    hints?: DetectorHints,
  ): Detector;
  get(name: string): DetectorFactory<unknown>;
}

/** The declared state bound of `name` at default params (256 when it declares none). */
export function stateBoundOf(source: DetectorSource, name: string): number {
  return source.get(name).maxStateBytes ?? 256;
}
