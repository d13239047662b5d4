/**
 * `vigil bench alerts` end to end, shortened: a server with a webhook notifier to the bench's own
 * receiver, a few probe spikes under light background load, each probe's firing notification
 * received (signature verified) and the table and result file written. No latency thresholds.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertsLevel } from '../../src/cli/bench/alerts.ts';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-alerts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vigil bench alerts', () => {
  it('receives a notification for every probe at each background level and reports latency', async () => {
    const json = join(dir, 'alerts.json');
    const args = ['--rates', '1000,2000', '--seconds', '3', '--interval-ms', '600', '--series', '50'];
    const { code, out } = await runVigil([
      'bench',
      'alerts',
      ...args,
      '--batch',
      '10',
      '--connections',
      '4',
      '--json',
      json,
    ]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/probe detector windowed-gaussian/);
    expect(out).toMatch(
      /background\s+achieved\s+probes\s+received\s+misses\s+p50 ms\s+p99 ms\s+max ms\s+ack p50\s+ack p99\s+max lag/,
    );
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      levels: AlertsLevel[];
      refusedWebhooks: number;
    };
    expect(result.refusedWebhooks).toBe(0);
    expect(result.levels.map((l) => l.backgroundRate)).toEqual([1000, 2000]);
    for (const l of result.levels) {
      expect(l.probes).toBe(5);
      // Every probe made its own incident, and its firing notification reached the receiver.
      expect(l.received).toBe(5);
      expect(l.misses).toBe(0);
      expect(l.latenciesMs).toHaveLength(5);
      for (const ms of l.latenciesMs) expect(ms).toBeGreaterThanOrEqual(0);
      expect(l.p50Ms!).toBeLessThanOrEqual(l.p99Ms!);
      expect(l.p99Ms!).toBeLessThanOrEqual(l.maxMs!);
      expect(l.achievedRate).toBeGreaterThan(0);
      // The engine's lag was read from /metrics beside every probe.
      expect(l.lagPoints).toHaveLength(5);
      for (const lag of l.lagPoints) expect(lag).toBeGreaterThanOrEqual(0);
      expect(l.maxLagPoints).toBe(Math.max(...l.lagPoints.map(Number)));
    }
  }, 180_000);
});
