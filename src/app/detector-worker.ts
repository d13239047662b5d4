import { Registry } from 'prom-client';
import type { Config } from '../config/schema.ts';
import type { Anomaly } from '../core/anomaly.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { partitionOf } from '../core/partitioner.ts';
import { Engine } from '../engine/engine.ts';
import type { CheckpointData } from '../ports/checkpoint-store.ts';
import type { GroupHandlers, InRecord, OutRecord } from '../ports/partitioned-log.ts';
import { SharedAnomalyWriter } from './anomaly-writer.ts';
import type { ScaledOut } from './backends.ts';
import { type FeedbackPoll, startFeedbackPoll } from './feedback-poll.ts';
import { realHostTime } from './host-time.ts';
import { type MaintenancePoll, startScaledMaintenance } from './maintenance-poll.ts';
import { type ModelServing, type ModelServingLog, startModelServing } from './model-serving.ts';
import { PartitionTasks } from './partition-tasks.ts';
import { defaultSeriesConfig } from './series-config.ts';
import { TombstonePoll } from './tombstone-poll.ts';
import {
  type WarmStartLog,
  type WarmStartMetrics,
  type WarmStartWhy,
  warmStartLogged,
} from './warm-start.ts';

const encoder = new TextEncoder();

export interface DetectorWorkerOptions {
  topic: string;
  anomaliesTopic: string;
  group: string;
  checkpointIntervalMs: number;
  /** A checkpoint is durable in storage; `commitMs` it took. */
  committed?(data: CheckpointData, commitMs: number): void;
  /** Anomaly changes are durable in PostgreSQL (they are published next); `writeMs` it took. */
  anomaliesStored?(anomalies: readonly Anomaly[], writeMs: number): void;
  /** Records as the consumer hands them to the tasks. */
  received?(records: readonly InRecord[]): void;
  /** A checkpoint failed; the partition's next turn retries it. */
  checkpointFailed(err: unknown): void;
  /** The config poll changed `n` series' configs, or failed (retried at the next poll). */
  configsApplied?(n: number): void;
  /** A stored config this worker's engine refuses; reported once per series and config. */
  configRefused?(seriesId: number, err: unknown): void;
  configPollFailed(err: unknown): void;
  /** Where warm starts after config changes log (./warm-start.ts); absent: they run unlogged. */
  warmStartLog?: WarmStartLog;
  /** Where served-model events are logged (./model-serving.ts); absent: nowhere. */
  modelLog?: ModelServingLog;
  /** Where the served-model metrics register (the role's /metrics); absent: a registry of their own. */
  metrics?: Registry;
  /** The role's warm start metrics (createMetrics registers them); absent: not counted. */
  warmStartMetrics?: WarmStartMetrics;
  /** Deleted series were dropped here (their state, and what this worker wrote of them). */
  seriesDeleted?(n: number): void;
  /** Reading or applying deleted series failed (retried at the next poll). */
  tombstonePollFailed?(err: unknown): void;
  /** Reading or applying feedback labels failed (retried at the next poll). */
  feedbackPollFailed?(err: unknown): void;
  /** Reading maintenance windows failed (retried at the next poll). */
  maintenancePollFailed?(err: unknown): void;
}

export interface DetectorWorker {
  tasks: PartitionTasks;
  /** The poll of deleted series (tests run a round at once with `poll`). */
  tombstones: TombstonePoll;
  /** The poll of feedback labels (tests run a round at once with `poll`). */
  feedback: FeedbackPoll;
  /** The poll of maintenance windows (./maintenance-poll.ts). */
  maintenance: MaintenancePoll;
  /** Served models (./model-serving.ts). */
  models: ModelServing;
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
  // Once stored, the changes go to their topic too, in the order stored; a failed publish is retried
  // by the writer, and a partition's checkpoint waits for its publishes (below), so the topic gets
  // each change at least once.
  const anomalyWriter = new SharedAnomalyWriter({
    store: async (byPartition) => {
      const all = [...byPartition.values()].flat();
      const started = performance.now();
      await out.anomalies.write(all);
      opts.anomaliesStored?.(all, performance.now() - started);
    },
    publish: async (byPartition) => {
      const records: OutRecord[] = [];
      for (const [partition, list] of byPartition)
        for (const a of list) records.push({ partition, value: encoder.encode(JSON.stringify(a)) });
      await out.log.append(opts.anomaliesTopic, records);
    },
  });
  const defaults = defaultSeriesConfig(config, registry);
  const tasks = new PartitionTasks({
    newEngine: async () => {
      const engine = new Engine({
        registry,
        defaults,
        allowedLatenessMs: config.engine.allowedLatenessMs,
        primeReplayMax: config.models.warmStartPoints,
      });
      engine.loadConfigs(await out.configs.allConfigs());
      // Deleted series: their states are not restored, their points still in Kafka are dropped.
      engine.deleteSeries(await out.tombstones.deletedIds());
      return engine;
    },
    checkpointsFor: (p) => {
      const store = out.checkpointsFor(opts.topic, p);
      return {
        load: () => store.load(),
        ...(store.deleteSeries !== undefined ? { deleteSeries: store.deleteSeries } : {}),
        commit: async (data) => {
          // The offset must not move past an anomaly change that is stored but not yet published
          // (writes resolve once stored, see ./anomaly-writer.ts): a crash would lose the publish.
          await anomalyWriter.published(p);
          const started = performance.now();
          await store.commit(data);
          opts.committed?.(data, performance.now() - started);
        },
      };
    },
    anomalySinkFor: (p) => anomalyWriter.forPartition(p),
    time: realHostTime,
    // The partitions take turns, one checkpoint every interval / partitions (TaskHost's wall-clock
    // rounds): each still commits once per interval, but their state serialisation, InfluxDB
    // formatting and store transactions no longer land in the same few event-loop turns, which
    // held fetched records (and so anomalies) back by hundreds of milliseconds at every interval.
    checkpointIntervalMs: opts.checkpointIntervalMs,
    checkpointFailed: (_p, err) => opts.checkpointFailed(err),
    maxLagPoints: config.ingest.maxLagPoints,
    // Called once joined (PartitionTasks.assigned), after `warm` below is defined.
    restoredAfresh: (ids) => {
      if (config.models.warmStartPoints > 0) void warm(ids, 'pipeline changed since the last run');
    },
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
  // Series deleted through the API: the task of the series' partition (the ingest rule, on its
  // key) drops its state and deletes what it wrote of it since the deletion; a partition owned
  // elsewhere is that member's, and a partition assigned later loads every tombstone (newEngine).
  const tombstones = new TombstonePoll({
    source: out.tombstones,
    apply: async (gone) => {
      out.catalog.forget(gone.map((t) => t.id));
      const byPartition = new Map<number, number[]>();
      for (const t of gone) {
        const p = partitionOf(t.key, config.kafka.partitions);
        byPartition.set(p, [...(byPartition.get(p) ?? []), t.id]);
      }
      await tasks.deleteSeries(byPartition);
      opts.seriesDeleted?.(gone.length);
    },
    failed: (err) => opts.tombstonePollFailed?.(err),
  });
  await tombstones.start(config.engine.configPollMs);
  // Labels given through any API server reach the task of their series within a poll.
  const feedback = await startFeedbackPoll(out, tasks, {
    partitions: config.kafka.partitions,
    intervalMs: config.engine.configPollMs,
    failed: (err) => opts.feedbackPollFailed?.(err),
  });
  const maintenance = await startScaledMaintenance(
    out,
    config.engine.configPollMs,
    (windows) => tasks.setMaintenance(windows),
    (err) => opts.maintenancePollFailed?.(err),
  );
  // Served models (docs/models.md): read before joining, so a partition assigned at the join is
  // switched right after its restore (PartitionTasks.assigned); each detector polls the registry.
  // Warm start of series whose pipeline changed (a model version, a per-series config, a restart
  // under another pipeline), from the point store.
  const warm = (ids: number[], why: WarmStartWhy) =>
    warmStartLogged(
      ids,
      why,
      (list) =>
        tasks.warmStart(
          list,
          (sid, from, to) => out.points.range(sid, from, to),
          config.models.warmStartPoints,
        ),
      opts.warmStartLog ?? { info: () => {}, warn: () => {} },
      opts.warmStartMetrics,
    );
  const models = await startModelServing(config, {
    detectors: registry,
    seriesCount: () => out.catalog.count(),
    series: () => out.catalog.all(),
    apply: async (assignments, keep) => tasks.setModels(assignments, keep),
    warmStart: (ids) => warm(ids, 'model version'),
    stats: async () => tasks.modelStats(),
    log: opts.modelLog ?? { info: () => {}, warn: () => {}, error: () => {} },
    metrics: opts.metrics ?? new Registry(),
    role: 'detector',
  });
  const membership = await out.log.join(opts.group, opts.topic, handlers);
  tasks.attach(membership);

  // Per-series configs set through any API server reach the running engines within a poll.
  let polling = false;
  const refusedOnce = new Set<string>();
  const configTimer = setInterval(() => {
    if (polling) return;
    polling = true;
    out.configs
      .allConfigs()
      .then(async (configs) => {
        const changed = new Set<number>();
        const n = tasks.applyConfigs(
          configs,
          (sid, err) => {
            const key = `${sid}:${JSON.stringify(configs.get(sid))}`;
            if (refusedOnce.has(key)) return;
            refusedOnce.add(key);
            opts.configRefused?.(sid, err);
          },
          changed,
        );
        if (n > 0) opts.configsApplied?.(n);
        // Within this poll (the next waits for it): the new pipelines learn their series' history.
        if (config.models.warmStartPoints > 0) await warm([...changed], 'series config');
      })
      .catch(opts.configPollFailed)
      .finally(() => {
        polling = false;
      });
  }, config.engine.configPollMs);
  return {
    tasks,
    tombstones,
    feedback,
    maintenance,
    models,
    // A checkpoint already running may have started before the last points were scored: the
    // second call starts one after it.
    flush: async () => {
      await tasks.checkpointAll();
      await tasks.checkpointAll();
    },
    close: async () => {
      clearInterval(configTimer);
      await tombstones.stop();
      await feedback.stop();
      await maintenance.stop();
      await models.close();
      await membership.close();
      anomalyWriter.close();
    },
  };
}
