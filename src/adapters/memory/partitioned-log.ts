/**
 * PartitionedLog in memory: topics of partitions, consumer groups with range assignment and
 * rebalancing on join/leave. For tests of the roles' logic without a broker, and as the reference
 * behaviour the Kafka adapter is held to.
 */
import type {
  GroupHandlers,
  GroupMembership,
  InRecord,
  OutRecord,
  PartitionedLog,
} from '../../ports/partitioned-log.ts';

interface Member {
  handlers: GroupHandlers;
  owned: Set<number>;
  positions: Map<number, number>;
  pumping: boolean;
  closed: boolean;
}

interface Group {
  topic: string;
  members: Member[];
  committed: Map<number, number>;
}

export class MemoryPartitionedLog implements PartitionedLog {
  readonly #topics = new Map<string, InRecord[][]>();
  readonly #groups = new Map<string, Group>();
  /** Largest number of records handed to one `records` call. */
  readonly #fetchMax: number;

  constructor(opts: { fetchMax?: number } = {}) {
    this.#fetchMax = opts.fetchMax ?? 500;
  }

  async ensureTopic(topic: string, partitions: number): Promise<void> {
    if (!this.#topics.has(topic))
      this.#topics.set(
        topic,
        Array.from({ length: partitions }, () => []),
      );
  }

  /** Records of a partition (tests read what a role published). */
  records(topic: string, partition: number): readonly InRecord[] {
    return this.#topics.get(topic)?.[partition] ?? [];
  }

  partitions(topic: string): number {
    return this.#topics.get(topic)?.length ?? 0;
  }

  committed(group: string, partition: number): number | undefined {
    return this.#groups.get(group)?.committed.get(partition);
  }

  async append(topic: string, records: readonly OutRecord[]): Promise<void> {
    const parts = this.#topics.get(topic);
    if (parts === undefined) throw new Error(`unknown topic ${topic}`);
    for (const r of records) {
      if (parts[r.partition] === undefined) throw new Error(`topic ${topic} has no partition ${r.partition}`);
    }
    for (const r of records) {
      const p = parts[r.partition]!;
      p.push({ offset: p.length, value: r.value.slice() });
    }
    for (const g of this.#groups.values()) if (g.topic === topic) for (const m of g.members) this.#pump(g, m);
  }

  async join(group: string, topic: string, handlers: GroupHandlers): Promise<GroupMembership> {
    let g = this.#groups.get(group);
    if (g === undefined) {
      g = { topic, members: [], committed: new Map() };
      this.#groups.set(group, g);
    }
    const member: Member = {
      handlers,
      owned: new Set(),
      positions: new Map(),
      pumping: false,
      closed: false,
    };
    g.members.push(member);
    await this.#rebalance(g);
    const grp = g;
    return {
      commit: async (partition, nextOffset) => {
        if (member.owned.has(partition)) grp.committed.set(partition, nextOffset);
      },
      close: async () => {
        if (member.closed) return;
        member.closed = true;
        const owned = [...member.owned];
        member.owned.clear();
        if (owned.length > 0) await handlers.revoked(owned);
        grp.members = grp.members.filter((m) => m !== member);
        await this.#rebalance(grp);
      },
    };
  }

  /** Simulates a crash: the member vanishes without revoking (its partitions move on). */
  async crash(handlers: GroupHandlers): Promise<void> {
    for (const g of this.#groups.values()) {
      const m = g.members.find((x) => x.handlers === handlers);
      if (m === undefined) continue;
      m.closed = true;
      m.owned.clear();
      g.members = g.members.filter((x) => x !== m);
      await this.#rebalance(g);
    }
  }

  async #rebalance(g: Group): Promise<void> {
    const n = this.#topics.get(g.topic)?.length ?? 0;
    const live = g.members;
    const next = new Map<Member, Set<number>>(live.map((m) => [m, new Set()]));
    for (let p = 0; p < n && live.length > 0; p++) next.get(live[Math.floor((p * live.length) / n)]!)!.add(p);
    // Revoke first (owners checkpoint), then assign: a partition never has two owners.
    for (const m of live) {
      const gone = [...m.owned].filter((p) => !next.get(m)!.has(p));
      if (gone.length === 0) continue;
      for (const p of gone) m.owned.delete(p);
      await m.handlers.revoked(gone);
    }
    for (const m of live) {
      const fresh = [...next.get(m)!].filter((p) => !m.owned.has(p));
      if (fresh.length === 0) continue;
      await m.handlers.assigned(fresh);
      for (const p of fresh) {
        const start = await m.handlers.startOffset(p);
        m.positions.set(p, start ?? g.committed.get(p) ?? 0);
        m.owned.add(p);
      }
      this.#pump(g, m);
    }
  }

  #pump(g: Group, m: Member): void {
    if (m.pumping || m.closed) return;
    m.pumping = true;
    setImmediate(async () => {
      try {
        let progressed = true;
        while (progressed && !m.closed) {
          progressed = false;
          for (const p of [...m.owned]) {
            const all = this.#topics.get(g.topic)![p]!;
            const from = m.positions.get(p) ?? 0;
            if (from >= all.length) continue;
            const batch = all.slice(from, from + this.#fetchMax);
            m.positions.set(p, from + batch.length);
            await m.handlers.records(p, batch);
            progressed = true;
          }
        }
      } finally {
        m.pumping = false;
      }
    });
  }

  async close(): Promise<void> {
    for (const g of this.#groups.values()) for (const m of g.members) m.closed = true;
  }
}
