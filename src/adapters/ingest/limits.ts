/** Limits every ingest parser enforces on one request. */
import type { SeriesLimits } from '../../core/series.ts';

export interface IngestLimits {
  /** Most points one request may carry (`ingest.maxPointsPerRequest`); more is VIGIL_ERR_BATCH_TOO_LARGE. */
  maxPoints: number;
  series: SeriesLimits;
  /**
   * True for a series key already accepted earlier under these same limits; parsers then skip
   * re-validating its names and values. Optional: without it every new-in-request series is checked.
   */
  knownSeries?: (key: string) => boolean;
}
