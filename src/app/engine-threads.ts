/** How many engine threads `vigil serve` runs for a new data dir: `engine.threads`, or from the cores. */
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.ts';

/** `engine.threads`; unset: every core but one (the HTTP, log and store writer threads'), at least 1. */
export function engineThreadsOf(config: Pick<Config, 'engine'>): number {
  return config.engine.threads ?? Math.max(1, availableParallelism() - 1);
}
