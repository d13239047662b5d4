/**
 * The detector's work, without its HTTP server: a member of a consumer group on the points topic
 * feeding PartitionTasks (one Engine + PartitionRuntime per partition), checkpoints on an interval
 * (scores to InfluxDB, then anomalies, states and offset — see ScaledOut.checkpointsFor — then the
 * changed anomalies to their topic), and the poll of per-series configs. `vigil detector` and
 * `vigil bench kafka` both run exactly this.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type { Config } from '../config/schema.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { Engine } from '../engine/engine.ts';
import type { CheckpointData } from '../ports/checkpoint-store.ts';
import type { GroupHandlers, InRecord } from '../ports/partitioned-log.ts';
import { PartitionTasks } from './partition-tasks.ts';
import type { ScaledOut } from './scaled-out.ts';
import { defaultSeriesConfig } from './series-config.ts';

const encoder = new TextEncoder();

export interface DetectorWorkerOptions {
  topic: string;
  anomaliesTopic: string;
  group: string;
  checkpointIntervalMs: number;
  /** A checkpoint is durable in storage (its anomalies are published next); `commitMs` it took. */
  committed?(data: CheckpointData, commitMs: number): void;
  /** Records as the consumer hands them to the tasks. */
  received?(records: readonly InRecord[]): void;
  /** A checkpoint failed; the next tick retries it. */
  checkpointFailed(err: unknown): void;
  /** The config poll changed `n` series' configs, or failed (retried at the next poll). */
  configsApplied?(n: number): void;
  configPollFailed(err: unknown): void;
}

export interface DetectorWorker {
  tasks: PartitionTasks;
  /** Checkpoints until everything scored so far is committed. */
  flush(): Promise<void>;
  /** Stops the timers and leaves the group (each partition drains and checkpoints on revoke). */
  close(): Promise<void>;
}

/** Builds the tasks and joins the group; `built` receives the tasks before the join (metrics). */
export async function startDetectorWorker(
  config: Readonly<Config>,
  out: ScaledOut,
  opts: DetectorWorkerOptions,
  built?: (tasks: PartitionTasks) => void,
): Promise<DetectorWorker> {
  const registry = builtinDetectors();
  const defaults = defaultSeriesConfig(config, registry);
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
        // After the checkpoint is durable, anomalies go to their topic too. A failed publish fails
        // the checkpoint, which is retried as a whole (idempotent), so the topic gets each change
        // at least once.
        commit: async (data) => {
          const started = performance.now();
          await store.commit(data);
          opts.committed?.(data, performance.now() - started);
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
  built?.(tasks);
  const received = opts.received;
  const handlers: GroupHandlers =
    received === undefined
      ? tasks
      : {
          assigned: (ps) => tasks.assigned(ps),
          startOffset: (p) => tasks.startOffset(p),
          records: (p, records) => {
            received(records);
            return tasks.records(p, records);
          },
          revoked: (ps) => tasks.revoked(ps),
        };
  const membership = await out.log.join(opts.group, opts.topic, handlers);
  tasks.attach(membership);

  const timer = setInterval(() => {
    tasks.checkpointAll().catch(opts.checkpointFailed);
  }, opts.checkpointIntervalMs);
  // Per-series configs set through any API server reach the running engines within a poll.
  let polling = false;
  const configTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    out.configs
      .allConfigs()
      .then((configs) => {
        const n = tasks.applyConfigs(configs);
        if (n > 0) opts.configsApplied?.(n);
      })
      .catch(opts.configPollFailed)
      .finally(() => {
        polling = false;
      });
  }, config.engine.configPollMs);
  return {
    tasks,
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
