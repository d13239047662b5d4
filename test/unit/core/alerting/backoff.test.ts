/** The delivery retry policy: exponential ceiling, capped, full jitter, Retry-After as a capped floor. */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../../../src/core/alerting/backoff.ts';

const policy = { initialBackoffMs: 1000, maxBackoffMs: 60_000 };

describe('backoffMs', () => {
  it('doubles the ceiling with each failed attempt, up to maxBackoffMs', () => {
    // random just below 1 shows the ceiling itself.
    const top = (n: number) => backoffMs(policy, n, 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).toEqual([999, 1999, 3999, 7999, 15999, 31999, 59999, 59999]);
    expect(backoffMs(policy, 10_000, 0.999999)).toBe(59999);
  });

  it('draws the wait uniformly below the ceiling (full jitter)', () => {
    expect(backoffMs(policy, 3, 0)).toBe(0);
    expect(backoffMs(policy, 3, 0.5)).toBe(2000);
    expect(backoffMs(policy, 3, 0.25)).toBe(1000);
  });

  it("waits at least the receiver's Retry-After, but never more than maxBackoffMs", () => {
    expect(backoffMs(policy, 1, 0.1, 5000)).toBe(5000);
    expect(backoffMs(policy, 7, 0.9, 5000)).toBe(54000);
    expect(backoffMs(policy, 1, 0.1, 3_600_000)).toBe(60_000);
  });
});
