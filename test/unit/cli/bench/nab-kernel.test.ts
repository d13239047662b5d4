import { describe, expect, it } from 'vitest';
import { interleaveByTimestamp } from '../../../../src/cli/bench/nab-kernel.ts';

describe('interleaveByTimestamp', () => {
  it('merges by timestamp, round-robin on ties, each series in its own order', () => {
    const order = interleaveByTimestamp([
      Float64Array.from([1, 1, 2, 5]), // a repeated timestamp
      Float64Array.from([1, 3, 2]), // goes back in time
      Float64Array.from([]),
      Float64Array.from([0, 1]),
    ]);
    const stream = [...order.series].map((s, k) => `${s}:${order.row[k]}`);
    expect(stream).toEqual(['3:0', '0:0', '1:0', '3:1', '0:1', '0:2', '1:1', '1:2', '0:3']);
  });
});
