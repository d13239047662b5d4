/** How the anomaly pages name things (pure, so unit tests reach it without a DOM). */
import type { Anomaly } from './types.ts';

/** What scored an anomaly: the served model version (`cpu v3`), else the pipeline's label. */
export function scoredBy(a: Pick<Anomaly, 'detector' | 'model'>): string {
  return a.model === undefined ? a.detector : `${a.model.name} v${a.model.version}`;
}
