/**
 * The stream processor's work for one consumer-group member: per assigned partition of the ingest
 * topic an AdmissionFilter (validation, dedup, lateness), whose clean output goes to the same
 * partition of the points topic. At-least-once: a batch is published before its offset is
 * committed, so a crash may publish it twice — the detectors' engine rejects the repeat as
 * duplicates, so scores are unchanged.
 */
import { decodeBatch, encodeBatch } from '../core/point-batch-codec.ts';
import { AdmissionFilter, type FilterReason } from '../engine/admission-filter.ts';
import type {
  GroupHandlers,
  GroupMembership,
  InRecord,
  OutRecord,
  PartitionedLog,
} from '../ports/partitioned-log.ts';

export interface ProcessorStats {
  recordsIn: number;
  pointsIn: number;
  pointsOut: number;
  rejected: Record<FilterReason, number>;
}

export class ProcessorTasks implements GroupHandlers {
  readonly #log: PartitionedLog;
  readonly #outTopic: string;
  readonly #latenessMs: number;
  readonly #filters = new Map<number, AdmissionFilter>();
  #membership: GroupMembership | undefined;
  readonly stats: ProcessorStats = {
    recordsIn: 0,
    pointsIn: 0,
    pointsOut: 0,
    rejected: { too_late: 0, duplicate: 0, invalid: 0 },
  };

  constructor(log: PartitionedLog, outTopic: string, allowedLatenessMs: number) {
    this.#log = log;
    this.#outTopic = outTopic;
    this.#latenessMs = allowedLatenessMs;
  }

  attach(membership: GroupMembership): void {
    this.#membership = membership;
  }

  get partitions(): number[] {
    return [...this.#filters.keys()].sort((a, b) => a - b);
  }

  /** Series the filters of this member's partitions remember. */
  get seriesCount(): number {
    let n = 0;
    for (const f of this.#filters.values()) n += f.seriesCount;
    return n;
  }

  async assigned(partitions: readonly number[]): Promise<void> {
    for (const p of partitions)
      if (!this.#filters.has(p)) this.#filters.set(p, new AdmissionFilter(this.#latenessMs));
  }

  async startOffset(): Promise<number | undefined> {
    return undefined; // the group's committed offset
  }

  async records(partition: number, records: readonly InRecord[]): Promise<void> {
    const filter = this.#filters.get(partition);
    if (filter === undefined || records.length === 0) return;
    const out: OutRecord[] = [];
    for (const r of records) {
      const batch = decodeBatch(r.value);
      this.stats.recordsIn++;
      this.stats.pointsIn += batch.seriesIds.length;
      const clean = filter.filter(batch, (reason, n) => {
        this.stats.rejected[reason] += n;
      });
      if (clean.seriesIds.length === 0) continue;
      this.stats.pointsOut += clean.seriesIds.length;
      out.push({ partition, value: clean === batch ? r.value : encodeBatch(clean) });
    }
    if (out.length > 0) await this.#log.append(this.#outTopic, out);
    // A commit refused mid-rebalance only means a repeat, which the detectors reject as duplicates.
    await this.#membership?.commit(partition, records[records.length - 1]!.offset + 1).catch(() => {});
  }

  async revoked(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.#filters.delete(p);
  }
}
