/**
 * The detector worker `vigil bench kafka` measures: `startDetectorWorker`, exactly what
 * `vigil detector` runs (src/app/detector-worker.ts), minus the HTTP server.
 *
 * The only additions are observers: `onStored` hears anomaly changes right after PostgreSQL
 * committed them (before the publish to the anomalies topic), which is the moment the latency case
 * calls "stored"; `onRecords` sees records as the consumer delivers them; `commitMs`
 * collects how long each checkpoint's commit took.
 */

import type { ScaledOut } from '../../app/backends.ts';
import { type DetectorWorker, startDetectorWorker } from '../../app/detector-worker.ts';
import type { Config } from '../../config/schema.ts';
import type { Anomaly } from '../../core/anomaly.ts';
import type { InRecord } from '../../ports/partitioned-log.ts';

export interface WorkerOptions {
  topic: string;
  anomaliesTopic: string;
  group: string;
  checkpointIntervalMs: number;
  /**
   * Anomaly changes just committed to PostgreSQL, with the time (epoch ms, fractional) and how long
   * their write took (so `at - writeMs` is when it started).
   */
  onStored?(anomalies: readonly Anomaly[], at: number, writeMs: number): void;
  /** Records as the consumer hands them to the tasks, with the time (epoch ms, fractional). */
  onRecords?(records: readonly InRecord[], at: number): void;
  /** A checkpoint or config poll failed (retried on the next tick, as in `vigil detector`). */
  onError?(err: unknown): void;
}

export interface BenchWorker extends DetectorWorker {
  /** Durations of the PostgreSQL + InfluxDB commits of the checkpoints so far, ms. */
  commitMs: number[];
  /** Durations of the PostgreSQL writes of anomaly changes so far, ms. */
  anomalyWriteMs: number[];
  /** Scored points whose checkpoint is committed (InfluxDB + PostgreSQL) so far. */
  storedPoints(): number;
}

export const epochMs = (): number => performance.timeOrigin + performance.now();

/** Joins `group` on `topic` and resolves once the first assignment is active. */
export async function startWorker(
  config: Readonly<Config>,
  out: ScaledOut,
  opts: WorkerOptions,
): Promise<BenchWorker> {
  const commitMs: number[] = [];
  const anomalyWriteMs: number[] = [];
  let storedPoints = 0;
  const onRecords = opts.onRecords;
  const onError = (err: unknown) => opts.onError?.(err);
  const worker = await startDetectorWorker(config, out, {
    topic: opts.topic,
    anomaliesTopic: opts.anomaliesTopic,
    group: opts.group,
    checkpointIntervalMs: opts.checkpointIntervalMs,
    committed: (data, ms) => {
      commitMs.push(ms);
      for (const cols of data.points.values()) storedPoints += cols.length;
    },
    anomaliesStored: (anomalies, ms) => {
      anomalyWriteMs.push(ms);
      opts.onStored?.(anomalies, epochMs(), ms);
    },
    ...(onRecords !== undefined ? { received: (records) => onRecords(records, epochMs()) } : {}),
    checkpointFailed: onError,
    configPollFailed: onError,
  });
  return { ...worker, commitMs, anomalyWriteMs, storedPoints: () => storedPoints };
}
