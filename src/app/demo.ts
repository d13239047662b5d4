/** `vigil serve --demo`: feeds the NAB samples under examples/nab through normal ingest, once. */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTimestampValueCsv } from '../adapters/ingest/csv.ts';
import type { Config } from '../config/schema.ts';
import type { IngestPoint } from '../core/point.ts';
import { seriesKey } from '../core/series.ts';
import type { IngestService } from './ingest-service.ts';

export const DEMO_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../examples/nab');

/**
 * The config `--demo` runs with: the samples carry their original timestamps (2013–2015), so the
 * default tenant they go to keeps its points forever (`limits.tenants.default.retentionMs: 0`)
 * unless the config sets that tenant's retention itself.
 */
export function demoConfig(config: Readonly<Config>): Readonly<Config> {
  const own = config.limits.tenants.default;
  if (own?.retentionMs !== undefined) return config;
  return {
    ...config,
    limits: { ...config.limits, tenants: { ...config.limits.tenants, default: { ...own, retentionMs: 0 } } },
  };
}

/** Loads each sample not loaded before (`known` says whether a series key exists); returns points sent. */
export async function loadDemo(
  ingest: IngestService,
  known: (key: string) => boolean,
  dir = DEMO_DIR,
): Promise<number> {
  let total = 0;
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.csv'))
    .sort()) {
    const name = basename(file, '.csv');
    const tags = { source: 'nab-demo', file: name };
    if (known(seriesKey('demo_value', tags))) continue;
    const csv = parseTimestampValueCsv(readFileSync(join(dir, file), 'utf8'), file);
    for (let i = 0; i < csv.ts.length; i += 1000) {
      const batch: IngestPoint[] = [];
      for (let j = i; j < Math.min(i + 1000, csv.ts.length); j++) {
        batch.push({ metric: 'demo_value', tags, ts: csv.ts[j]!, value: csv.values[j]! });
      }
      await ingest.ingest(batch);
      total += batch.length;
    }
  }
  return total;
}
