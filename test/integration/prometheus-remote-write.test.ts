/**
 * A real Prometheus server (Debian package `prometheus`) scrapes itself and remote_writes into
 * Vigil; its own metrics must appear as series with points. Installed by
 * scripts/services/install.sh (which `npm test` runs).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
let prom: ChildProcess | undefined;
let dir: string;
let promPort: number;

function prometheusBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('prometheus is not installed: run `bash scripts/services/install.sh` (as root)');
  }
}

beforeAll(async () => {
  const bin = prometheusBinary();
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'vigil-prom-'));
  promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prom
    static_configs:
      - targets: ['127.0.0.1:${promPort}']
remote_write:
  - url: ${server.url}/api/v1/write
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 5000
`,
  );
  prom = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-4000);
  });
  prom.on('exit', (code) => {
    if (code !== null && code !== 0) console.error(`prometheus exited ${code}:\n${log}`);
  });
});

afterAll(async () => {
  prom?.kill('SIGTERM');
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus remote_write into Vigil', () => {
  it('a real Prometheus delivers its scraped metrics, which appear as scored series', async () => {
    const upKey = `up{instance="127.0.0.1:${promPort}",job="prom"}`;
    const got = await eventually(async () => {
      const r = await fetch(`${server.url}/api/v1/points?series=${encodeURIComponent(upKey)}`);
      if (r.status !== 200) return null;
      const body = (await r.json()) as { total: number; points: { value: number; score: number }[] };
      return body.total >= 2 ? body : null;
    }, 60_000);
    expect(got.points.every((p) => p.value === 1)).toBe(true);
    expect(got.points.every((p) => p.score >= 0 && p.score <= 1)).toBe(true);

    const list = (await (
      await fetch(`${server.url}/api/v1/series?match=${encodeURIComponent('{job="prom"}')}&limit=100000`)
    ).json()) as { series: { metric: string }[] };
    const metrics = new Set(list.series.map((s) => s.metric));
    expect(metrics.has('prometheus_build_info')).toBe(true);
    expect(metrics.has('process_resident_memory_bytes')).toBe(true);
    expect(list.series.length).toBeGreaterThan(100);
  });
});
