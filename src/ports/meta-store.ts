/** MetaStore: anomalies and per-series detector configuration. */
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';

export interface SeriesConfig {
  detector: string;
  params: Record<string, unknown>;
  threshold: number;
}

export interface MetaStore {
  anomalies(q: AnomalyQuery): Anomaly[];
  getConfig(seriesId: number): SeriesConfig | undefined;
  setConfig(seriesId: number, config: SeriesConfig): void;
  allConfigs(): Map<number, SeriesConfig>;
}
