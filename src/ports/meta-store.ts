/**
 * MetaStore: metadata beside the points: anomalies and per-series detector configuration.
 * Split in two because they are written on different paths: configs by the API (durable at once),
 * anomalies only inside a checkpoint (see CheckpointStore). An adapter may implement both.
 */
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';

export interface SeriesConfig {
  detector: string;
  params: Record<string, unknown>;
  threshold: number;
}

export interface AnomalyStore {
  /** Anomalies matching `q`, newest start first. */
  anomalies(q: AnomalyQuery): Promise<Anomaly[]>;
}

export interface ConfigStore {
  getConfig(seriesId: number): Promise<SeriesConfig | undefined>;
  /** Durable when it resolves. */
  setConfig(seriesId: number, config: SeriesConfig): Promise<void>;
  allConfigs(): Promise<Map<number, SeriesConfig>>;
}

export type MetaStore = AnomalyStore & ConfigStore;
