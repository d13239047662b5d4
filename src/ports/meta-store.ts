/**
 * MetaStore: metadata beside the points: anomalies and per-series detector configuration.
 * Split in two because they are written on different paths: configs by the API (durable at once),
 * anomalies inside a checkpoint (see CheckpointStore) or, in the scaled-out detector, through an
 * AnomalySink as soon as they change. An adapter may implement several.
 */
import type { Anomaly, AnomalyQuery } from '../core/anomaly.ts';
import type { SeriesConfig } from '../core/series-config.ts';

export type { SeriesConfig, SeriesConfigChange } from '../core/series-config.ts';

export interface AnomalyStore {
  /** Anomalies matching `q`, newest start first. */
  anomalies(q: AnomalyQuery): Promise<Anomaly[]>;
}

/**
 * Where anomaly changes go as soon as the engine makes them, ahead of the checkpoint that covers
 * them (the alert path does not wait for scores and states to be stored). Each form is upserted on
 * (series, start) unless the stored form supersedes it (`supersedes` in core/anomaly.ts), so
 * repeats after a crash and writes of a stale owner are harmless.
 */
export interface AnomalySink {
  /** Durable when it resolves. */
  write(anomalies: readonly Anomaly[]): Promise<void>;
}

export interface ConfigStore {
  getConfig(seriesId: number): Promise<SeriesConfig | undefined>;
  /** Durable when it resolves. */
  setConfig(seriesId: number, config: SeriesConfig): Promise<void>;
  allConfigs(): Promise<Map<number, SeriesConfig>>;
}

export type MetaStore = AnomalyStore & ConfigStore;
