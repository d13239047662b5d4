/** The built-in registry. A detector becomes available (and conformance-tested) by registering here. */
import { ewma } from './ewma/ewma.ts';
import { DetectorRegistry } from './registry.ts';

export function builtinDetectors(): DetectorRegistry {
  // `default` is the detector chosen by measurement on NAB (docs/detectors.md).
  return new DetectorRegistry().register(ewma).alias('default', 'ewma');
}

export type { Detector, DetectorFactory, DetectorHints, DetectorState } from './detector.ts';
export { DetectorRegistry } from './registry.ts';
