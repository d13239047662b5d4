/**
 * Partition of a series: Kafka's default partitioner rule for keyed records — murmur2 of the key's
 * UTF-8 bytes, sign bit cleared, modulo the partition count (Java client `Utils.murmur2` /
 * `toPositive`) — so a record keyed by the series key and one we place ourselves land alike.
 */

const encoder = new TextEncoder();

/** Kafka's murmur2 (seed 0x9747b28c) as a signed 32-bit integer. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The tail bytes mix in cumulatively (the Java switch falls through from case 3 to case 1).
  const tail = length & 3;
  if (tail === 3) h ^= data[whole + 2]! << 16;
  if (tail >= 2) h ^= data[whole + 1]! << 8;
  if (tail >= 1) {
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition (0..partitions-1) of a series key. */
export function partitionOf(seriesKey: string, partitions: number): number {
  return (murmur2(encoder.encode(seriesKey)) & 0x7fffffff) % partitions;
}
