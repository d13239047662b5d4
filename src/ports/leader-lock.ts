/**
 * LeaderLock: one active process among replicas of a role (scaled out: a PostgreSQL session-level
 * advisory lock). The holder keeps the lock while its process and connection live; when it dies,
 * a waiting replica acquires it.
 */

export interface HeldLock {
  /** Resolves when the lock is no longer held (the connection dropped, or `release`): stop acting then. */
  lost: Promise<void>;
  release(): void;
}

export interface LeaderLock {
  /**
   * Resolves with the held lock once this process holds it, or undefined once `stopped()` is true.
   * Failures while waiting go to `onError` and are retried every `pollMs`.
   */
  acquire(
    pollMs: number,
    stopped: () => boolean,
    onError: (err: unknown) => void,
  ): Promise<HeldLock | undefined>;
}
