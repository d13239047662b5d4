/**
 * Records of one partition out of a Fetch response, as read-committed consumers see them: control
 * batches (transaction markers) and batches of aborted transactions are skipped, records below the
 * requested offset (a batch starting earlier) are dropped, and `next` is where the following fetch
 * of the partition starts — past skipped batches too, so a partition ending in a marker moves on.
 */
import { type Consumer, IS_CONTROL, IS_TRANSACTIONAL } from '@platformatic/kafka';

export type FetchResponse = Awaited<ReturnType<Consumer['fetch']>>;
export type FetchResponsePartition = FetchResponse['responses'][number]['partitions'][number];

export interface FetchedRecord {
  /** Kafka offset. */
  offset: number;
  key: Buffer | null;
  value: Buffer;
  /** Producer timestamp, epoch ms. */
  timestamp: number;
}

const EMPTY = Buffer.alloc(0);

export function partitionRecords(
  p: FetchResponsePartition,
  from: bigint,
): { records: FetchedRecord[]; next: bigint } {
  const records: FetchedRecord[] = [];
  let next = from;
  const batches = p.records ?? [];
  // The response lists the aborted transactions overlapping the fetched range by producer id and
  // first offset; a producer's records are aborted from that offset until its abort marker.
  const abortedFrom = new Map<bigint, bigint>();
  for (const a of p.abortedTransactions ?? []) {
    const known = abortedFrom.get(a.producerId);
    if (known === undefined || a.firstOffset < known) abortedFrom.set(a.producerId, a.firstOffset);
  }
  for (const batch of batches) {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
    if (last + 1n > next) next = last + 1n;
    if (batch.attributes & IS_CONTROL) {
      // Control record key: [version:int16][type:int16], type 0 = abort, 1 = commit.
      const key = batch.records[0]?.key;
      if (key !== null && key !== undefined && key.length >= 4 && key.readInt16BE(2) === 0) {
        abortedFrom.delete(batch.producerId);
      }
      continue;
    }
    if (batch.attributes & IS_TRANSACTIONAL) {
      const abortedAt = abortedFrom.get(batch.producerId);
      if (abortedAt !== undefined && batch.firstOffset >= abortedAt) continue;
    }
    for (const r of batch.records) {
      const offset = batch.firstOffset + BigInt(r.offsetDelta);
      if (offset < from) continue;
      records.push({
        offset: Number(offset),
        key: r.key,
        value: r.value ?? EMPTY,
        timestamp: Number(batch.firstTimestamp + r.timestampDelta),
      });
    }
  }
  return { records, next };
}
