/** An anomaly is a maximal run of anomalous points of one series. */

export interface Anomaly {
  seriesId: number;
  start: number;
  end: number;
  /** Highest score inside the run. */
  peakScore: number;
  /** Value at the peak and how far outside the band it was (NaN where the detector has no band). */
  peakValue: number;
  peakExpected: number;
  direction: 'up' | 'down' | 'unknown';
  points: number;
  detector: string;
  /** True while the run has not ended (the last point seen was anomalous). */
  open: boolean;
}

export interface AnomalyQuery {
  seriesIds?: readonly number[];
  from?: number;
  to?: number;
  minScore?: number;
  openOnly?: boolean;
  limit: number;
}
