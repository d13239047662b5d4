/**
 * Lowers the scheduling priority of the calling thread (Linux: a thread is a task with its own
 * nice value, addressed by its id from /proc/thread-self). The embedded server's throughput
 * threads (engine, store writer) call it so that, when the cores are busy, the threads that answer
 * requests (main, log writer) run first: scoring may lag a little (backpressure bounds it), a
 * request should not wait. Best effort: elsewhere, or without permission, it does nothing.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** Returns the thread's new nice value, or undefined when it could not be set. */
export function lowerThreadPriority(nice: number): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return undefined;
    setPriority(tid, nice);
    return nice;
  } catch {
    return undefined;
  }
}
