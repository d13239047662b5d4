/**
 * Composition root of `vigil alerter`: the incident grouper and notification delivery, scaled out.
 *
 * One active alerter, the others standbys: incidents group anomalies of different series (any
 * partition of the anomalies topic) by their `group_by` labels, so one grouper must see every
 * anomaly of a tenant. The active replica holds a PostgreSQL session-level advisory lock
 * (`vigil.alerter:<topic prefix>`); only then does it load the grouper's saved state and join the
 * consumer group `<prefix>-alerter` on `<prefix>.anomalies`, where it is the only member and so
 * reads every partition. A standby waits on the lock; when the active one dies its session ends,
 * the lock passes, and the new holder resumes from the saved state and the group's committed
 * offsets (after the dead member's Kafka session times out). A holder whose lock connection drops
 * stops (the process exits) rather than risk two active groupers.
 *
 * At least once, never paged twice: per batch of records, the anomaly changes go through the
 * Alerter (notifications enqueued in the PostgreSQL outbox, durable), then `checkpoint` stores the
 * incidents and the grouper's state, and only then is the offset committed. A crash in between
 * replays those records: the grouper takes a repeated form as no change, and the outbox ignores a
 * repeated (notifier, dedupKey, sequence). Delivery runs on every replica, standbys included: the
 * outbox's claims (advisory locks, leases) hand each item to one of them at a time.
 */
import type { Logger } from 'pino';
import { MemoryCache } from '../adapters/memory/cache.ts';
import type { Config } from '../config/schema.ts';
import type { Anomaly } from '../core/anomaly.ts';
import { emptyStats } from '../engine/runtime-stats.ts';
import type { HeldLock } from '../ports/leader-lock.ts';
import type { GroupMembership, InRecord } from '../ports/partitioned-log.ts';
import { Alerter } from './alerter.ts';
import { AlertingService } from './alerting-service.ts';
import { authWiring } from './auth-wiring.ts';
import { openScaledOut, type ScaledOut, topicsOf } from './backends.ts';
import { type Delivery, loggingOutbox, startDelivery } from './delivery-wiring.ts';
import type { RoleHandle } from './detector.ts';
import { createMetrics } from './metrics.ts';
import { roleHttp, roleLogger } from './role-server.ts';

const decoder = new TextDecoder();

export interface AlerterRoleHandle extends RoleHandle {
  /** Whether this replica holds the lock and consumes the anomalies topic. */
  readonly active: boolean;
  /** Resolves once this replica is the active one. */
  becameActive: Promise<void>;
  /**
   * Resolves with the reason when this replica can no longer be trusted (a change failed, the
   * lock was lost): the process MUST exit, and a restart resumes from the saved state.
   */
  failed: Promise<unknown>;
}

export async function startAlerterRole(config: Readonly<Config>): Promise<AlerterRoleHandle> {
  const logger = roleLogger(config, 'alerter');
  const out = await openScaledOut(config, logger);
  const topics = topicsOf(config);
  const metrics = createMetrics({ stats: emptyStats, lagPoints: () => 0, seriesCount: () => 0 });
  const delivery = startDelivery(config, {
    queue: out.outbox,
    registry: metrics.registry,
    onError: (err, what) => logger.error({ err }, `notification delivery: ${what}`),
  });
  let ready = false;
  const { auth } = await authWiring(config, out.apiKeys, new MemoryCache(), logger);
  const { app, url } = await roleHttp(config, logger, metrics, () => ready, auth);
  await out.log.ensureTopic(topics.anomalies, config.kafka.partitions);

  const failed = Promise.withResolvers<unknown>();
  const becameActive = Promise.withResolvers<void>();
  let closing: Promise<void> | null = null;
  let active: Active | undefined;
  const fail = (err: unknown, what: string) => {
    if (closing !== null) return;
    ready = false;
    logger.fatal({ err }, `alerter: ${what}; exiting so that a restart resumes from the saved state`);
    failed.resolve(err);
  };
  ready = true; // a standby is healthy too
  const lockName = `vigil.alerter:${config.kafka.topicPrefix}`;
  void out
    .leaderLock(lockName)
    .acquire(
      1_000,
      () => closing !== null,
      (err) => logger.warn({ err }, 'alerter: waiting for the lock failed; retrying'),
    )
    .then(async (lock) => {
      if (lock === undefined) return;
      if (closing !== null) return lock.release();
      logger.info({ lock: lockName }, 'alerter: active (holds the lock)');
      active = await activate(config, out, delivery, logger, lock, fail);
      becameActive.resolve();
      void lock.lost.then(() => fail(new Error('lost the lock connection'), 'lost the alerter lock'));
    })
    .catch((err: unknown) => fail(err, 'could not become active'));
  logger.info({ url, topic: topics.anomalies }, 'alerter started (standby until it holds the lock)');

  const close = () => {
    closing ??= (async () => {
      ready = false;
      await active?.close();
      await delivery?.close();
      await app.close();
      await out.close();
    })();
    return closing;
  };
  return {
    app,
    url,
    close,
    get active() {
      return active !== undefined;
    },
    becameActive: becameActive.promise,
    failed: failed.promise,
  };
}

interface Active {
  close(): Promise<void>;
}

async function activate(
  config: Readonly<Config>,
  out: ScaledOut,
  delivery: Delivery | undefined,
  logger: Logger,
  lock: HeldLock,
  fail: (err: unknown, what: string) => void,
): Promise<Active> {
  const rules = new AlertingService({
    store: out.alerting,
    configRules: config.alerting.rules,
    notifiers: Object.keys(config.alerting.notifiers),
    now: Date.now,
  });
  const alerter = await Alerter.start({
    store: out.alerting,
    outbox: delivery?.outbox ?? loggingOutbox(logger),
    rulesOf: (tenant) => rules.rulesOf(tenant),
    seriesKeyOf: async (sid) => (await out.catalog.get(sid))?.key,
    now: Date.now,
    tickMs: config.alerting.tickMs,
    stopOnFailure: true,
    onError: (err) => logger.error({ err }, 'alerter: an anomaly change or tick failed'),
  });
  const reload = setInterval(() => void alerter.reloadAll(), config.alerting.reloadMs);
  reload.unref();
  let membership: GroupMembership | undefined;
  const checkpointed = async (): Promise<boolean> => {
    try {
      await alerter.checkpoint();
      return true;
    } catch (err) {
      fail(err, 'an anomaly change could not be grouped, enqueued or saved');
      return false;
    }
  };
  membership = await out.log.join(`${config.kafka.topicPrefix}-alerter`, topicsOf(config).anomalies, {
    assigned: async () => {},
    startOffset: async () => undefined, // the group's committed offset
    records: async (partition: number, records: readonly InRecord[]) => {
      if (records.length === 0) return;
      alerter.anomalies(records.map((r) => JSON.parse(decoder.decode(r.value)) as Anomaly));
      // Offsets only after the notifications are enqueued and the state saved (at least once).
      if (!(await checkpointed())) throw new Error('alerter failed; not committing');
      // A commit refused mid-rebalance only means a replay, which pages nobody twice.
      await membership?.commit(partition, records[records.length - 1]!.offset + 1).catch(() => {});
    },
    revoked: async () => {
      await checkpointed();
    },
  });
  return {
    close: async () => {
      clearInterval(reload);
      await membership?.close();
      await alerter.close();
      lock.release();
    },
  };
}
