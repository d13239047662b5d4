/** The built-in registry. A detector becomes available (and conformance-tested) by registering here. */
import { artime } from './artime/artime.ts';
import { bocpd } from './bocpd/bocpd.ts';
import { cadOse } from './cad-ose/cad-ose.ts';
import { discord } from './discord/discord.ts';
import { ensembleDetector } from './ensemble/ensemble.ts';
import { ewma } from './ewma/ewma.ts';
import { knnCad } from './knn-cad/knn-cad.ts';
import { likelihoodDetector } from './likelihood/likelihood.ts';
import { rcf } from './rcf/rcf.ts';
import { DetectorRegistry } from './registry.ts';
import { relativeEntropy } from './relative-entropy/relative-entropy.ts';
import { robustZ } from './robust-z/robust-z.ts';
import { seasonal } from './seasonal/seasonal.ts';
import { vigilEvents } from './vigil/vigil-events.ts';
import { vigilRank } from './vigil/vigil-rank.ts';
import { windowedGaussian } from './windowed-gaussian/windowed-gaussian.ts';

export function builtinDetectors(): DetectorRegistry {
  const registry = new DetectorRegistry();
  // Users select presets (core/pipeline/presets.ts) and the detectors that are not building blocks.
  return (
    registry
      .register(ewma)
      .register(windowedGaussian)
      .register(robustZ)
      .register(seasonal)
      .register(relativeEntropy)
      .register(bocpd)
      .register(rcf)
      .register(knnCad)
      .register(cadOse)
      .register(artime)
      .register(discord)
      // Wrappers build their inner detectors through the registry they are registered in.
      .register(likelihoodDetector(registry))
      .register(ensembleDetector(registry))
      .register(vigilEvents(registry))
      .register(vigilRank(registry))
  );
}

export type { Detector, DetectorFactory, DetectorHints, DetectorState } from './detector.ts';
export { DetectorRegistry } from './registry.ts';
