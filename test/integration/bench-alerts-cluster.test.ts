/**
 * `vigil bench alerts --cluster` end to end, shortened: the scaled-out deployment started the way
 * `npm run cluster` starts it (processors, detectors, the alerter and APIs behind nginx, on the
 * real services), the probe rule and webhook notifier in its config, a few probe spikes under light
 * background load, each probe's firing notification received (signature verified), the result file
 * written, and afterwards the deployment stopped and its schema dropped from the services it found
 * running. No latency thresholds.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertsLevel } from '../../src/cli/bench/alerts.ts';
import { runVigil } from '../helpers/cli.ts';
import { service } from '../support/services.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-alerts-cluster-'));
let pgUrl: string;

// Running services stay up after the bench (npm test stops them at the end), as other test files
// may be using them.
beforeAll(() => {
  for (const s of ['kafka', 'redis', 'influxdb'] as const) service(s);
  pgUrl = service('postgres').VIGIL_PG_URL!;
}, 600_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
      schema,
    ]);
    return r.rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('vigil bench alerts --cluster', () => {
  it('receives a notification for every probe through the scaled-out deployment, then stops it', async () => {
    const json = join(dir, 'alerts-cluster.json');
    const args = ['--cluster', '--rates', '200', '--seconds', '4', '--interval-ms', '800', '--series', '20'];
    const { code, out } = await runVigil([
      'bench',
      'alerts',
      ...args,
      '--batch',
      '10',
      '--connections',
      '8',
      '--json',
      json,
    ]);
    expect(code, out).toBe(0);
    const name = /npm run cluster \(--name (bench-alerts-[0-9a-f]+)\)/.exec(out)?.[1];
    expect(name, out).toBeDefined();
    expect(out).toMatch(/1 alerter; services already running: kafka, postgres, redis, influxdb/);
    expect(out).toMatch(/goal: p99 ≤ 2000 ms scaled out/);
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      config: { mode: string };
      levels: AlertsLevel[];
      refusedWebhooks: number;
    };
    expect(result.config.mode).toBe('cluster');
    expect(result.refusedWebhooks).toBe(0);
    expect(result.levels).toHaveLength(1);
    const l = result.levels[0]!;
    expect(l.backgroundRate).toBe(200);
    expect(l.probes).toBe(5);
    // Every probe made its own incident in the alerter role, and its firing notification left the
    // PostgreSQL outbox and reached the receiver.
    expect(l.received).toBe(5);
    expect(l.misses).toBe(0);
    for (const ms of l.latenciesMs) expect(ms).toBeGreaterThanOrEqual(0);
    expect(l.backgroundRequests.ok).toBeGreaterThan(0);
    // The lag is the detectors' sum, read beside every probe.
    for (const lag of l.lagPoints) expect(lag).toBeGreaterThanOrEqual(0);

    // Stopped: the deployment's state is gone, and so is its schema from the PostgreSQL it found.
    const services = process.env.VIGIL_SERVICES_DIR ?? join(import.meta.dirname, '../..', '.services');
    expect(existsSync(join(services, `cluster-${name}`))).toBe(false);
    expect(await schemaExists(name!.replaceAll('-', '_'))).toBe(false);
  }, 900_000);
});
