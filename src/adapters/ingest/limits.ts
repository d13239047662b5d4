/** Limits every ingest parser enforces on one request. */
import type { SeriesLimits } from '../../core/series.ts';

export interface IngestLimits {
  /** Most points one request may carry (`ingest.maxPointsPerRequest`); more is VIGIL_ERR_BATCH_TOO_LARGE. */
  maxPoints: number;
  series: SeriesLimits;
}
