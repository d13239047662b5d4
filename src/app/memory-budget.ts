/**
 * The process' memory budget and what follows from it: how many series ingest may create, and
 * when it pushes back. Read here, in a composition root, because it asks the machine (physical
 * memory, the cgroup limit of a container) and the process (resident set size).
 *
 * Why: with `ingest.maxSeries` at 1,000,000 and the default pipeline costing 60-530 KB a series,
 * 200,000 new series took the server past 5.6 GB with nothing scored while ingest answered 204,
 * and queries and SIGTERM then hung (issue 17).
 */
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Config } from '../config/schema.ts';
import type { IngestLimitsConfig, MemoryGuard } from './ingest-service.ts';

/**
 * Resident bytes a series costs once its detector state has grown, by detector name. Measured
 * with `npx node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16
 * bench/series-memory.ts` (one engine, young generation pinned; 300 series × 10,000 points for
 * the default, 3,000 × 3,000 for fast; bench/README.md "Cost per series"): the default holds
 * 88 KB a series in the engine (14 KB of heap, 66 KB of typed arrays), fast 5.3 KB. A series that
 * changed since the last checkpoint also has its state's text twice while a checkpoint runs (the
 * string, then its bytes in the packed checkpoint; the default's snapshot: 89 KB on NAB, at most
 * 124 KB; fast's 3.4 KB; the store writer keeps those buffers for the next checkpoint only up to
 * 4 MiB: SPARE_MAX_BYTES), and the server holds its catalog entry and point tail besides
 * (`npx vigil bench cardinality`: a new fast series ~5-7 KB end to end on a loaded machine). So
 * the default 192 KB (state + its checkpoint text + margin) and fast 16 KB (was 32, from a measurement that charged the young generation's growth
 * to the series). Others are not measured one by one: they get 64 KB, above what their NAB
 * snapshots hold (0.1-160 KB).
 */
const BYTES_PER_SERIES: Record<string, number> = {
  default: 192 * 1024,
  vigil: 192 * 1024,
  fast: 16 * 1024,
};
const UNMEASURED_BYTES_PER_SERIES = 64 * 1024;

/** Share of the budget that series' state may take; the rest is the process itself, buffers, queries. */
const SERIES_SHARE = 0.7;

/** Share of the machine's (or container's) memory the default budget takes. */
const DEFAULT_BUDGET_SHARE = 0.6;

export function bytesPerSeries(detector: string): number {
  return BYTES_PER_SERIES[detector] ?? UNMEASURED_BYTES_PER_SERIES;
}

/** The cgroup v2 (or v1) memory limit of this process, when there is one below physical memory. */
export function cgroupMemoryLimit(): number | undefined {
  for (const path of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const text = readFileSync(path, 'utf8').trim();
      const n = Number(text);
      if (text !== 'max' && Number.isFinite(n) && n > 0 && n < totalmem()) return n;
    } catch {
      // not there: no cgroup limit of that version
    }
  }
  return undefined;
}

/** `ingest.memoryBudgetBytes`, or 60 % of the memory this process may use. */
export function memoryBudget(configured: number | undefined): number {
  if (configured !== undefined) return configured;
  return Math.floor(DEFAULT_BUDGET_SHARE * (cgroupMemoryLimit() ?? totalmem()));
}

/** `ingest.maxSeries`, or as many series as 70 % of the budget holds with the default detector. */
export function maxSeries(configured: number | undefined, budget: number, detector: string): number {
  if (configured !== undefined) return configured;
  return Math.max(1, Math.floor((SERIES_SHARE * budget) / bytesPerSeries(detector)));
}

/**
 * The resident set size, sampled at most every `everyMs`: `process.memoryUsage.rss()` reads
 * /proc, cheap but not free at 10,000 requests a second.
 */
export function sampledRss(now: () => number, everyMs = 50): () => number {
  let at = Number.NEGATIVE_INFINITY;
  let rss = 0;
  return () => {
    const t = now();
    if (t - at >= everyMs) {
      rss = process.memoryUsage.rss();
      at = t;
    }
    return rss;
  };
}

/**
 * The ingest limits with the series cap resolved, and the guard over memory. `holdsSeries`: this
 * process keeps the series' detector state (vigil serve), so new series are charged against its
 * budget; vigil api does not.
 */
export function ingestLimits(
  config: Readonly<Config>,
  holdsSeries: boolean,
): { limits: IngestLimitsConfig; memory: MemoryGuard } {
  const budget = memoryBudget(config.ingest.memoryBudgetBytes);
  return {
    limits: {
      maxSeries: maxSeries(config.ingest.maxSeries, budget, config.engine.detector),
      maxLagPoints: config.ingest.maxLagPoints,
      retryAfterSeconds: config.ingest.retryAfterSeconds,
    },
    memory: {
      rss: sampledRss(Date.now),
      budget,
      bytesPerSeries: holdsSeries ? bytesPerSeries(config.engine.detector) : 0,
    },
  };
}
