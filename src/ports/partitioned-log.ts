/**
 * PartitionedLog: topics split into partitions, read by consumer groups (Kafka scaled out). A
 * partition is owned by one group member at a time; the owner decides where reading starts (its
 * checkpoint), so the group's own committed offsets only report progress.
 */

export interface OutRecord {
  partition: number;
  /** Optional record key (the series key where a record holds one series). */
  key?: Uint8Array;
  value: Uint8Array;
}

export interface InRecord {
  /** Position in the partition (Kafka offset, from 0). */
  offset: number;
  value: Uint8Array;
}

export interface GroupHandlers {
  /** Partitions just given to this member. Resolves once their tasks are ready. */
  assigned(partitions: readonly number[]): Promise<void>;
  /**
   * The offset to read a newly assigned partition from; undefined: from the group's committed
   * offset (or the partition's start when the group has none).
   */
  startOffset(partition: number): Promise<number | undefined>;
  /** Records of one partition, in order; the next fetch of that partition waits for this. */
  records(partition: number, records: readonly InRecord[]): Promise<void>;
  /** Partitions about to be taken away: checkpoint them before this resolves. */
  revoked(partitions: readonly number[]): Promise<void>;
}

export interface GroupMembership {
  /** Reports progress to the group (the next offset to read), after a checkpoint. */
  commit(partition: number, nextOffset: number): Promise<void>;
  /** Leaves the group (revoking every partition first). */
  close(): Promise<void>;
}

export interface PartitionedLog {
  /** Creates the topic when missing (replicated per the deployment's config); idempotent. */
  ensureTopic(topic: string, partitions: number): Promise<void>;
  /**
   * Appends records; durable on enough replicas when this resolves. All of them or none become
   * visible to readers (one transaction), so a request split across partitions stays atomic.
   */
  append(topic: string, records: readonly OutRecord[]): Promise<void>;
  join(group: string, topic: string, handlers: GroupHandlers): Promise<GroupMembership>;
  close(): Promise<void>;
}
