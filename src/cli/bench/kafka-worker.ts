/**
 * The detector worker `vigil bench kafka` measures: the same composition as `vigil detector`
 * (src/app/detector.ts) minus its HTTP server — a consumer-group member (KafkaPartitionedLog.join)
 * feeding PartitionTasks, one Engine + PartitionRuntime per partition, checkpoints on an interval
 * to PostgreSQL (anomalies, states, offsets) and InfluxDB (scores), then anomalies to their topic,
 * and the poll of per-series configs. Keep it in step with detector.ts.
 *
 * The only additions are observers: `onStored` hears each checkpoint's anomalies right after
 * PostgreSQL committed them (before the publish to the anomalies topic), which is the moment the
 * latency case calls "stored"; `onRecords` sees records as the consumer delivers them; `commitMs`
 * collects how long each checkpoint's commit took.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { PartitionTasks } from '../../app/partition-tasks.ts';
import type { ScaledOut } from '../../app/scaled-out.ts';
import type { Config } from '../../config/schema.ts';
import type { Anomaly } from '../../core/anomaly.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import { Engine } from '../../engine/engine.ts';
import type { SeriesConfig } from '../../ports/meta-store.ts';
import type { GroupHandlers, GroupMembership, InRecord } from '../../ports/partitioned-log.ts';

const encoder = new TextEncoder();

export interface WorkerOptions {
  topic: string;
  anomaliesTopic: string;
  group: string;
  checkpointIntervalMs: number;
  /** Anomalies of a checkpoint just committed to PostgreSQL, with the time (epoch ms, fractional). */
  onStored?(anomalies: readonly Anomaly[], at: number): void;
  /** Records as the consumer hands them to the tasks, with the time (epoch ms, fractional). */
  onRecords?(records: readonly InRecord[], at: number): void;
  /** A checkpoint or config poll failed (retried on the next tick, as in `vigil detector`). */
  onError?(err: unknown): void;
}

export interface BenchWorker {
  tasks: PartitionTasks;
  /** Durations of the PostgreSQL + InfluxDB commits of the checkpoints so far, ms. */
  commitMs: number[];
  /** Checkpoints until everything scored so far is committed. */
  flush(): Promise<void>;
  /** Stops the timer and leaves the group (each partition drains and checkpoints on revoke). */
  close(): Promise<void>;
}

export const epochMs = (): number => performance.timeOrigin + performance.now();

/** Joins `group` on `topic` and resolves once the first assignment is active. */
export async function startWorker(
  config: Readonly<Config>,
  out: ScaledOut,
  opts: WorkerOptions,
): Promise<BenchWorker> {
  const registry = builtinDetectors();
  const defaults: SeriesConfig = {
    detector: config.engine.detector,
    params: registry.resolveParams(config.engine.detector, config.engine.params),
    threshold: config.engine.threshold ?? registry.thresholdOf(config.engine.detector),
  };
  const commitMs: number[] = [];
  const tasks = new PartitionTasks({
    newEngine: async () => {
      const engine = new Engine({ registry, defaults, allowedLatenessMs: config.engine.allowedLatenessMs });
      engine.loadConfigs(await out.configs.allConfigs());
      return engine;
    },
    checkpointsFor: (p) => {
      const store = out.checkpointsFor(opts.topic, p);
      return {
        load: () => store.load(),
        commit: async (data) => {
          const started = performance.now();
          await store.commit(data);
          commitMs.push(performance.now() - started);
          opts.onStored?.(data.anomalies, epochMs());
          if (data.anomalies.length === 0) return;
          await out.log.append(
            opts.anomaliesTopic,
            data.anomalies.map((a) => ({ partition: p, value: encoder.encode(JSON.stringify(a)) })),
          );
        },
      };
    },
    defer: () => yieldTurn(),
    soon: (fn) => setImmediate(fn),
    now: () => performance.now(),
    maxLagPoints: config.ingest.maxLagPoints,
  });
  const observe = opts.onRecords;
  const handlers: GroupHandlers =
    observe === undefined
      ? tasks
      : {
          assigned: (ps) => tasks.assigned(ps),
          startOffset: (p) => tasks.startOffset(p),
          records: (p, records) => {
            observe(records, epochMs());
            return tasks.records(p, records);
          },
          revoked: (ps) => tasks.revoked(ps),
        };
  const membership: GroupMembership = await out.log.join(opts.group, opts.topic, handlers);
  tasks.attach(membership);
  const timer = setInterval(() => {
    tasks.checkpointAll().catch((err) => opts.onError?.(err));
  }, opts.checkpointIntervalMs);
  // As `vigil detector` does: per-series configs set through the API reach the engines within a poll.
  let polling = false;
  const configTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    out.configs
      .allConfigs()
      .then((configs) => tasks.applyConfigs(configs))
      .catch((err) => opts.onError?.(err))
      .finally(() => {
        polling = false;
      });
  }, config.engine.configPollMs);
  return {
    tasks,
    commitMs,
    // A checkpoint already running may have started before the last points were scored: the
    // second call starts one after it.
    flush: async () => {
      await tasks.checkpointAll();
      await tasks.checkpointAll();
    },
    close: async () => {
      clearInterval(timer);
      clearInterval(configTimer);
      await membership.close();
    },
  };
}
