/**
 * A member of a Kafka consumer group (classic protocol, eager rebalancing) that hands each owned
 * partition's records to an async handler, one batch at a time per partition.
 *
 * Lifecycle of a partition, as the handlers see it:
 * 1. `onAssigned(partitions)` once per assignment, then `startOffset(topic, partition)` for each:
 *    the owner keeps its offsets externally (its checkpoints); `undefined` means "from the group's
 *    committed offset, or the partition's start when there is none".
 * 2. `onRecords(topic, partition, records)` with consecutive batches in offset order; the next fetch
 *    of that partition waits until the handler's promise settles (backpressure). A handler that
 *    throws gets the same records again after a pause (at-least-once), reported to `onError`.
 * 3. `onRevoked(partitions)` before the member rejoins the group, i.e. before any other member can
 *    be given them: no handler of those partitions runs any more, and this is the place to
 *    checkpoint and `commit`. It MUST finish within `rebalanceTimeoutMs`.
 *
 * Why eager: the client rejoins by itself when the coordinator announces a rebalance; it awaits our
 * `protocolsMetadata` hook before each JoinGroup, and that hook is where we revoke everything.
 * A member that died keeps its partitions until `sessionTimeoutMs` passes without heartbeats.
 *
 * Fetching: one fetch in flight per broker, covering every owned partition led by that broker that
 * is idle (no handler running). A separate client does the fetching, so a fetch waiting at the
 * broker never delays the member's heartbeats. Reads are read-committed.
 */
import { Consumer, ListOffsetTimestamps } from '@platformatic/kafka';
import { VigilError } from '../../core/errors.ts';
import { clientOptions, hasApiError, toVigilError } from './client.ts';
import type { ResolvedKafkaConfig } from './config.ts';
import { type FetchedRecord, partitionRecords } from './fetch-records.ts';
import { commitOffset } from './group-commit.ts';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface GroupConsumerHandlers {
  onAssigned?(partitions: readonly TopicPartition[]): Promise<void>;
  startOffset(topic: string, partition: number): Promise<number | undefined>;
  onRecords(topic: string, partition: number, records: FetchedRecord[]): Promise<void>;
  onRevoked?(partitions: readonly TopicPartition[]): Promise<void>;
  /** Failures the member works around on its own (it retries); for logs and metrics. */
  onError?(err: VigilError): void;
}

export interface GroupConsumerOptions {
  groupId: string;
  topics: readonly string[];
  handlers: GroupConsumerHandlers;
}

interface Owned extends TopicPartition {
  key: string;
  /** Kafka offset of the next fetch; null until the start offset is known. */
  next: bigint | null;
  busy: Promise<void> | null;
  inFlight: boolean;
  revoked: boolean;
  failures: number;
  /** No fetch before this time (after a failed fetch or handler). */
  resumeAt: number;
}

/** The slices of the client this file calls. */
type MemberClient = Pick<
  Consumer,
  | 'joinGroup'
  | 'listCommittedOffsets'
  | 'close'
  | 'on'
  | 'topics'
  | 'groupId'
  | 'generationId'
  | 'memberId'
  | 'groupInstanceId'
  | 'findGroupCoordinator'
  | 'connectToBrokers'
> &
  Parameters<typeof commitOffset>[0];
type FetchClient = Pick<
  Consumer,
  'fetch' | 'metadata' | 'listOffsets' | 'clearMetadata' | 'topics' | 'close'
>;

const EMPTY = Buffer.alloc(0);
const RETRY_MS = 250;
const keyOf = (topic: string, partition: number) => `${topic}\0${partition}`;

export class KafkaGroupConsumer {
  readonly #member: MemberClient;
  readonly #fetcher: FetchClient;
  readonly #topics: string[];
  readonly #h: GroupConsumerHandlers;
  readonly #maxWaitMs: number;
  readonly #minBytes: number;
  readonly #maxBytes: number;
  readonly #owned = new Map<string, Owned>();
  /** Keys being revoked: their owner may still commit them until `onRevoked` returns. */
  readonly #revokingKeys = new Set<string>();
  readonly #fetchingNodes = new Set<number>();
  #activation: Promise<void> = Promise.resolve();
  #revoking: Promise<void> | null = null;
  #pumping = false;
  #pumpAgain = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  private constructor(config: ResolvedKafkaConfig, opts: GroupConsumerOptions) {
    this.#topics = [...opts.topics];
    this.#h = opts.handlers;
    this.#maxWaitMs = config.maxWaitMs;
    this.#minBytes = config.fetchMinBytes;
    this.#maxBytes = config.maxBytesPerPartition;
    this.#member = new Consumer({
      ...clientOptions(config, 'member'),
      groupId: opts.groupId,
      autocommit: false,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      rebalanceTimeout: config.rebalanceTimeoutMs,
      protocolsMetadata: () => this.#beforeJoin(),
    });
    this.#fetcher = new Consumer({
      ...clientOptions(config, 'fetcher', 0),
      groupId: opts.groupId,
      autocommit: false,
    });
    for (const t of this.#topics) {
      this.#member.topics.track(t);
      this.#fetcher.topics.track(t);
    }
    this.#member.on('consumer:group:join', (p) =>
      this.#onJoin(
        (p.assignments ?? []).flatMap((a) =>
          a.partitions.map((partition) => ({ topic: a.topic, partition })),
        ),
      ),
    );
    // The client emits `error` when a rejoin failed for good; it then sends no more heartbeats.
    this.#member.on('error', (err: Error) => {
      this.#report(err, 'group membership');
      this.#rejoinLater();
    });
  }

  /**
   * Joins `groupId` on `topics` and resolves once the first assignment is active (its start offsets
   * known). Fails with VIGIL_ERR_UNAVAILABLE when the group cannot be joined.
   */
  static async join(config: ResolvedKafkaConfig, opts: GroupConsumerOptions): Promise<KafkaGroupConsumer> {
    const c = new KafkaGroupConsumer(config, opts);
    try {
      await c.#member.joinGroup({});
    } catch (err) {
      c.#closed = true;
      await Promise.allSettled([c.#member.close(), c.#fetcher.close()]);
      throw toVigilError(err, `join group ${opts.groupId}`);
    }
    await c.#activation;
    return c;
  }

  /** Partitions this member owns now. */
  get assignment(): TopicPartition[] {
    return [...this.#owned.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Reports progress to the group: `nextOffset` is the next offset to read. Only for partitions
   * this member owns or is revoking; otherwise (and when the group has moved on) nothing is stored.
   * Fails with VIGIL_ERR_UNAVAILABLE when the coordinator is unreachable.
   */
  async commit(topic: string, partition: number, nextOffset: number): Promise<void> {
    const k = keyOf(topic, partition);
    if (!this.#owned.has(k) && !this.#revokingKeys.has(k)) return;
    await commitOffset(this.#member, topic, partition, nextOffset);
  }

  /** Revokes every partition (`onRevoked`), then leaves the group. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    await this.#revokeAll();
    await Promise.allSettled([this.#member.close(), this.#fetcher.close()]);
  }

  // --- membership ---

  /** Runs before every JoinGroup the client sends: give up everything first (eager protocol). */
  async #beforeJoin(): Promise<Buffer> {
    await this.#revokeAll();
    return EMPTY;
  }

  #revokeAll(): Promise<void> {
    this.#revoking ??= (async () => {
      const owned = [...this.#owned.values()];
      for (const o of owned) {
        o.revoked = true;
        this.#revokingKeys.add(o.key);
      }
      this.#owned.clear();
      try {
        await this.#activation;
        await Promise.allSettled(owned.map((o) => o.busy));
        if (owned.length > 0)
          await this.#h.onRevoked?.(owned.map(({ topic, partition }) => ({ topic, partition })));
      } catch (err) {
        this.#report(err, 'revoke handler');
      } finally {
        this.#revokingKeys.clear();
        this.#revoking = null;
      }
    })();
    return this.#revoking;
  }

  #onJoin(assigned: TopicPartition[]): void {
    if (this.#closed) return;
    const fresh: Owned[] = [];
    for (const { topic, partition } of assigned) {
      const key = keyOf(topic, partition);
      if (this.#owned.has(key)) continue;
      const o: Owned = {
        topic,
        partition,
        key,
        next: null,
        busy: null,
        inFlight: false,
        revoked: false,
        failures: 0,
        resumeAt: 0,
      };
      this.#owned.set(key, o);
      fresh.push(o);
    }
    if (fresh.length > 0) this.#activation = this.#activate(fresh);
  }

  async #activate(parts: Owned[]): Promise<void> {
    try {
      await this.#h.onAssigned?.(parts.map(({ topic, partition }) => ({ topic, partition })));
    } catch (err) {
      this.#report(err, 'assign handler');
    }
    for (let attempt = 0; !this.#closed; attempt++) {
      const pending = parts.filter((o) => o.next === null && !o.revoked);
      if (pending.length === 0) break;
      try {
        await this.#resolveStarts(pending);
      } catch (err) {
        this.#report(err, 'start offsets');
        await new Promise((r) => setTimeout(r, Math.min(5_000, RETRY_MS * 2 ** attempt)));
      }
    }
    this.#pump();
  }

  /** The owner's start offsets; the group's committed ones, then the partition start, for the rest. */
  async #resolveStarts(parts: Owned[]): Promise<void> {
    const fallback: Owned[] = [];
    for (const o of parts) {
      if (o.revoked) return;
      const start = await this.#h.startOffset(o.topic, o.partition);
      if (start === undefined) fallback.push(o);
      else o.next = BigInt(start);
    }
    if (fallback.length === 0) return;
    const byTopic = groupByTopic(fallback);
    const committed = await this.#member.listCommittedOffsets({
      topics: [...byTopic].map(([topic, ps]) => ({ topic, partitions: ps.map((o) => o.partition) })),
    });
    const fromStart: Owned[] = [];
    for (const o of fallback) {
      const c = committed.get(o.topic)?.[o.partition];
      if (c !== undefined && c >= 0n) o.next = c;
      else fromStart.push(o);
    }
    if (fromStart.length === 0) return;
    const starts = await this.#listOffsets(fromStart, ListOffsetTimestamps.EARLIEST);
    for (const o of fromStart) o.next = starts.get(o.key) ?? null;
  }

  /** Offsets of `parts` at `timestamp` (EARLIEST / LATEST), by partition key. */
  async #listOffsets(parts: Owned[], timestamp: bigint): Promise<Map<string, bigint>> {
    const byTopic = groupByTopic(parts);
    const offsets = await this.#fetcher.listOffsets({
      topics: [...byTopic.keys()],
      partitions: Object.fromEntries([...byTopic].map(([t, ps]) => [t, ps.map((o) => o.partition)])),
      timestamp,
    });
    const out = new Map<string, bigint>();
    for (const o of parts) {
      const v = offsets.get(o.topic)?.[o.partition];
      if (v !== undefined) out.set(o.key, v);
    }
    return out;
  }

  #rejoinLater(): void {
    if (this.#closed || this.#timer !== null) return;
    this.#timer = setTimeout(async () => {
      this.#timer = null;
      if (this.#closed) return;
      try {
        await this.#member.joinGroup({});
      } catch (err) {
        this.#report(err, 'rejoin');
        this.#rejoinLater();
      }
    }, 1_000);
  }

  // --- fetching ---

  /** Starts a fetch on every broker that leads an idle owned partition and has none in flight. */
  #pump(): void {
    if (this.#closed) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = true;
    void this.#startFetches().finally(() => {
      this.#pumping = false;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.#pump();
      }
    });
  }

  async #startFetches(): Promise<void> {
    const now = Date.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    const idle = [...this.#owned.values()].filter((o) => {
      if (o.next === null || o.busy !== null || o.inFlight) return false;
      if (o.resumeAt > now) {
        wakeAt = Math.min(wakeAt, o.resumeAt);
        return false;
      }
      return true;
    });
    if (wakeAt !== Number.POSITIVE_INFINITY) setTimeout(() => this.#pump(), wakeAt - now).unref();
    if (idle.length === 0) return;
    let md: Awaited<ReturnType<FetchClient['metadata']>>;
    try {
      md = await this.#fetcher.metadata({ topics: this.#topics });
    } catch (err) {
      this.#report(err, 'metadata');
      for (const o of idle) o.resumeAt = Date.now() + RETRY_MS;
      setTimeout(() => this.#pump(), RETRY_MS).unref();
      return;
    }
    const byNode = new Map<number, Owned[]>();
    for (const o of idle) {
      // Re-check: a revoke or a handler may have started while the metadata was on its way.
      if (o.revoked || o.busy !== null || o.inFlight) continue;
      const leader = md.topics.get(o.topic)?.partitions[o.partition]?.leader ?? -1;
      if (leader < 0) {
        o.resumeAt = Date.now() + RETRY_MS;
        this.#fetcher.clearMetadata();
        setTimeout(() => this.#pump(), RETRY_MS).unref();
        continue;
      }
      if (this.#fetchingNodes.has(leader)) continue; // picked up when that fetch returns
      const list = byNode.get(leader) ?? [];
      list.push(o);
      byNode.set(leader, list);
    }
    for (const [node, parts] of byNode) void this.#fetchFrom(node, parts, md);
  }

  async #fetchFrom(node: number, parts: Owned[], md: Awaited<ReturnType<FetchClient['metadata']>>) {
    this.#fetchingNodes.add(node);
    // By state object, not key: a partition revoked and assigned again meanwhile is a new state.
    const requested = new Map<Owned, bigint>();
    for (const o of parts) {
      o.inFlight = true;
      requested.set(o, o.next!);
    }
    try {
      const byTopic = groupByTopic(parts);
      const names = new Map<string, string>();
      const topics = [...byTopic].map(([topic, ps]) => {
        const topicId = md.topics.get(topic)!.id;
        names.set(topicId, topic);
        return {
          topicId,
          partitions: ps.map((o) => ({
            partition: o.partition,
            fetchOffset: o.next!,
            partitionMaxBytes: this.#maxBytes,
            currentLeaderEpoch: -1,
            lastFetchedEpoch: -1,
          })),
        };
      });
      let response: Awaited<ReturnType<FetchClient['fetch']>>;
      try {
        response = await this.#fetcher.fetch({
          node,
          topics,
          maxWaitTime: this.#maxWaitMs,
          minBytes: this.#minBytes,
          maxBytes: this.#maxBytes * parts.length,
        });
      } catch (err) {
        await this.#fetchFailed(parts, requested, err);
        return;
      }
      for (const t of response.responses) {
        const topic = names.get(t.topicId) ?? t.topicId;
        for (const p of t.partitions) {
          const o = this.#owned.get(keyOf(topic, p.partitionIndex));
          const from = o === undefined ? undefined : requested.get(o);
          // Skip what was revoked, or moved by a seek, while the fetch was out.
          if (o === undefined || from === undefined || o.revoked || o.next !== from) continue;
          const { records, next } = partitionRecords(p, from);
          o.next = next;
          if (records.length > 0) this.#deliver(o, records);
        }
      }
    } finally {
      for (const o of parts) o.inFlight = false;
      this.#fetchingNodes.delete(node);
      this.#pump();
    }
  }

  async #fetchFailed(parts: Owned[], requested: Map<Owned, bigint>, err: unknown): Promise<void> {
    this.#fetcher.clearMetadata();
    if (!hasApiError(err, 'OFFSET_OUT_OF_RANGE')) {
      this.#report(err, 'fetch');
      for (const o of parts) o.resumeAt = Date.now() + RETRY_MS;
      return;
    }
    // The start offset lies outside what the partition holds: below its start (records deleted
    // before they were read — reported, as data was lost) or past its end (clamped).
    try {
      const current = parts.filter((o) => !o.revoked && o.next === requested.get(o));
      const earliest = await this.#listOffsets(current, ListOffsetTimestamps.EARLIEST);
      const latest = await this.#listOffsets(current, ListOffsetTimestamps.LATEST);
      for (const o of current) {
        const lo = earliest.get(o.key);
        const hi = latest.get(o.key);
        if (lo === undefined || hi === undefined || o.next === null) continue;
        if (o.next < lo || o.next > hi) {
          const to = o.next < lo ? lo : hi;
          this.#report(
            new VigilError(
              'VIGIL_ERR_STORAGE',
              `kafka ${o.topic}/${o.partition}: offset ${o.next} is outside ${lo}..${hi}; reading from ${to}`,
            ),
            'fetch',
          );
          o.next = to;
        }
      }
    } catch (e) {
      this.#report(e, 'offset reset');
      for (const o of parts) o.resumeAt = Date.now() + RETRY_MS;
    }
  }

  #deliver(o: Owned, records: FetchedRecord[]): void {
    o.busy = (async () => {
      try {
        await this.#h.onRecords(o.topic, o.partition, records);
        o.failures = 0;
      } catch (err) {
        this.#report(err, `records handler of ${o.topic}/${o.partition}`);
        if (!o.revoked) {
          // Hand the same records over again after a pause.
          o.next = BigInt(records[0]!.offset);
          o.resumeAt = Date.now() + Math.min(5_000, RETRY_MS * 2 ** o.failures++);
        }
      } finally {
        o.busy = null;
        this.#pump();
      }
    })();
  }

  #report(err: unknown, what: string): void {
    if (this.#closed && !(err instanceof VigilError)) return;
    const e = toVigilError(err, what);
    try {
      this.#h.onError?.(e);
    } catch {
      // An error reporter that throws must not stop the member.
    }
  }
}

function groupByTopic(parts: Owned[]): Map<string, Owned[]> {
  const m = new Map<string, Owned[]>();
  for (const o of parts) {
    const l = m.get(o.topic) ?? [];
    l.push(o);
    m.set(o.topic, l);
  }
  return m;
}
