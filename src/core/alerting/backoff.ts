/**
 * Retry policy of notification delivery: exponential backoff with full jitter. After the n-th
 * failed attempt the ceiling is `initialBackoffMs · 2^(n-1)`, capped at `maxBackoffMs`, and the
 * wait is drawn uniformly in [0, ceiling), so receivers that failed together do not come back
 * together. A receiver's Retry-After is a floor (capped at `maxBackoffMs` too).
 */

export interface BackoffPolicy {
  initialBackoffMs: number;
  maxBackoffMs: number;
}

/**
 * Milliseconds to wait after `failedAttempts` (≥ 1) failed attempts. `random` is uniform in [0, 1)
 * (injected: Math.random in production, a seeded one in tests).
 */
export function backoffMs(
  p: BackoffPolicy,
  failedAttempts: number,
  random: number,
  retryAfterMs?: number,
): number {
  const exp = Math.min(Math.max(failedAttempts, 1) - 1, 52);
  const ceiling = Math.min(p.maxBackoffMs, p.initialBackoffMs * 2 ** exp);
  const jittered = Math.floor(random * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, p.maxBackoffMs));
}
