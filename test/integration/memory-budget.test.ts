/**
 * 200,000 new series against `vigil serve` with the default pipeline (issue 17): before, ingest
 * took them all with 204 and the process passed 5.6 GB with nothing scored, and queries and
 * SIGTERM hung. Now they are refused (422 past the derived series cap, or past what the memory
 * budget holds at the series' grown cost) before the resident set passes the budget, and the
 * server stays responsive. The 503 above the budget's high-water mark: test/unit/app/memory-guard.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { eventually } from '../helpers/embedded.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(ingest: Record<string, unknown>): Promise<{ child: ChildProcess; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-memory-'));
  dirs.push(dir);
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ ingest, engine: { checkpointIntervalMs: 1000 } }));
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/vigil.mjs'),
      'serve',
      '--config',
      file,
      '--data-dir',
      join(dir, 'data'),
      '--port',
      String(port),
    ],
    { env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 30_000);
  return { child, url };
}

/** VmRSS of `pid` in bytes (Linux). */
const rssOf = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Sends 200 requests of 1,000 new series each (one point apiece); counts the answers by status. */
async function flood(
  url: string,
  pid: number,
): Promise<{ statuses: Record<number, number>; codes: Set<string>; maxRss: number }> {
  const statuses: Record<number, number> = {};
  const codes = new Set<string>();
  let maxRss = 0;
  const T = Date.UTC(2026, 0, 1);
  for (let r = 0; r < 200; r++) {
    const points = Array.from({ length: 1000 }, (_, i) => ({
      metric: 'flood',
      tags: { s: String(r * 1000 + i) },
      ts: T,
      value: i,
    }));
    const res = await fetch(`${url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points }),
    });
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status !== 204) codes.add(((await res.json()) as { code: string }).code);
    else await res.arrayBuffer();
    maxRss = Math.max(maxRss, rssOf(pid));
  }
  return { statuses, codes, maxRss };
}

async function stillResponsive(child: ChildProcess, url: string, budget: number): Promise<void> {
  // Let the engine build the state of what was accepted, watching the resident set meanwhile.
  let maxRss = 0;
  for (let i = 0; i < 20; i++) {
    maxRss = Math.max(maxRss, rssOf(child.pid!));
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(maxRss).toBeLessThan(budget);
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  const q = await fetch(`${url}/api/v1/series?match=flood&limit=1`);
  expect(q.status).toBe(200);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  // Generous: the machine may be busy; before the fix it never exited.
  const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('hung'), 60_000))]);
  expect(code).toBe(0);
}

describe.skipIf(process.platform !== 'linux')('200,000 new series with the default pipeline', () => {
  it('the series cap derived from the budget refuses them with 422 (ingest.maxSeries unset)', async () => {
    const budget = 1024 * MiB;
    const { child, url } = await serve({ memoryBudgetBytes: budget });
    const { statuses, codes, maxRss } = await flood(url, child.pid!);
    // 70 % of 1 GiB at 192 KB a series: 3,822 series, so three requests of 1,000 fit (and under
    // the high-water mark: ~260 MiB at start + 3,000 × 192 KB < 922 MiB < + 4,000 × 192 KB).
    expect(statuses[204]).toBe(3);
    expect(codes).toEqual(new Set(['VIGIL_ERR_SERIES_LIMIT']));
    expect(maxRss).toBeLessThan(budget);
    await stillResponsive(child, url, budget);
  }, 120_000);

  it('with the cap lifted, the budget still refuses them: new series are charged at their grown cost', async () => {
    const budget = 640 * MiB;
    const { child, url } = await serve({ memoryBudgetBytes: budget, maxSeries: 1_000_000 });
    const { statuses, codes, maxRss } = await flood(url, child.pid!);
    // ~260 MiB at start, 576 MiB high-water, 192 KB a series: one request of 1,000 fits (none
    // where the process starts above ~390 MiB).
    expect(statuses[204] ?? 0).toBeLessThanOrEqual(1);
    expect(codes).toEqual(new Set(['VIGIL_ERR_SERIES_LIMIT']));
    expect(maxRss).toBeLessThan(budget);
    await stillResponsive(child, url, budget);
  }, 120_000);
});
