/**
 * `vigil bench ingest` end to end, shortened: it starts its own server, warms up at the fixed rate
 * before each fixed-rate run (printed, not kept), probes, confirms, and writes the three kept
 * results, each with every accepted point scored by the engine.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runVigil } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bench = (args: string[]) => runVigil(['bench', 'ingest', ...args]);

interface Run {
  case: string;
  atRate: number;
  ok: number;
  failed: number;
  rejected: number;
  scored: number;
  engineRejected: number;
  pointsPerSec: number;
  p99Ms: number;
  sustained?: boolean;
  withKey: boolean;
}

describe('vigil bench ingest', () => {
  it('warms up before each fixed-rate run and keeps the young, the maximum and the final run', async () => {
    const json = join(dir, 'ingest.json');
    const { code, out } = await bench([
      '--seconds',
      '2',
      '--warmup-seconds',
      '1',
      // Rates any machine sustains, however busy: the command's logic is under test, not its speed.
      '--rates',
      '1000,2000',
      '--at',
      '1000',
      '--series',
      '50',
      '--batch',
      '10',
      '--connections',
      '4',
      '--max-connections',
      '8',
      '--json',
      json,
    ]);
    expect(code).toBe(0);
    // One warm-up before the young-store run, one before the run after the search.
    expect(out.match(/^warm-up \(not kept\) +rate +1000\/s/gm)).toHaveLength(2);
    const runs = JSON.parse(readFileSync(json, 'utf8')) as Run[];
    expect(runs.map((r) => r.case)).toEqual(['at-1000-young-store', 'max-sustained', 'at-1000']);
    for (const r of runs) {
      expect(r.failed).toBe(0);
      expect(r.rejected).toBe(0);
      expect(r.ok).toBeGreaterThan(0);
      // The command waited for the engine: every accepted point of the run was scored.
      expect(r.scored).toBe(r.ok * 10);
      expect(r.engineRejected).toBe(0);
    }
    const max = runs[1]!;
    expect(max.sustained).toBe(true);
    // The search refines between the given rates, never outside them.
    expect(max.atRate).toBeGreaterThanOrEqual(1000);
    expect(max.atRate).toBeLessThanOrEqual(2000);
    expect(runs.every((r) => !r.withKey)).toBe(true);
  }, 120_000);

  it('with --auth keys the server requires a key and every request sends one', async () => {
    const json = join(dir, 'ingest-keys.json');
    const { code, out } = await bench([
      ...['--seconds', '1', '--warmup-seconds', '0', '--rates', '5000', '--at', '5000'],
      ...['--series', '20', '--batch', '10', '--connections', '2', '--max-connections', '2'],
      ...['--auth', 'keys', '--json', json],
    ]);
    expect(code).toBe(0);
    expect(out).toContain('every request with an API key');
    const runs = JSON.parse(readFileSync(json, 'utf8')) as Run[];
    for (const r of runs) {
      expect(r.withKey).toBe(true);
      // A request without the key would be a 401: failed, not ok.
      expect(r.failed).toBe(0);
      expect(r.ok).toBeGreaterThan(0);
      // /metrics, read with the key too, counted every accepted point as scored.
      expect(r.scored).toBe(r.ok * 10);
    }
  }, 120_000);
});
