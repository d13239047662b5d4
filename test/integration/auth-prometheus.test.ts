/**
 * A real Prometheus (Debian package `prometheus`) against Vigil in auth.mode keys, in the forms its
 * config offers: remote_write with `authorization` (Bearer) and with `basic_auth` (the key as
 * password), and a scrape of Vigil's /metrics (scope read) with `authorization`. A third
 * remote_write with a wrong key must deliver nothing. Each remote_write labels what it sends
 * (`via`), so the series show which form got through.
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
let readKey = '';

function prometheusBinary(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('prometheus is not installed: run `bash scripts/services/install.sh` (as root)');
  }
}

const via = (name: string) => `    write_relabel_configs:
      - target_label: via
        replacement: ${name}
    queue_config:
      batch_send_deadline: 1s
      max_samples_per_send: 5000`;

beforeAll(async () => {
  const bin = prometheusBinary();
  server = await startTestServer({ auth: { mode: 'keys', maxFailures: 1_000_000 } });
  const ingestKey = (await server.keys.create({ scopes: ['ingest'], name: 'prometheus' })).key;
  readKey = (await server.keys.create({ scopes: ['read'], name: 'scrape' })).key;
  const wrong = `${ingestKey.slice(0, 21)}${'A'.repeat(43)}`;
  dir = mkdtempSync(join(tmpdir(), 'vigil-prom-auth-'));
  promPort = await freePort();
  const vigil = new URL(server.url);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prom
    static_configs:
      - targets: ['127.0.0.1:${promPort}']
  - job_name: vigil
    authorization:
      credentials: ${readKey}
    static_configs:
      - targets: ['${vigil.host}']
remote_write:
  - url: ${server.url}/api/v1/write
    authorization:
      credentials: ${ingestKey}
${via('bearer')}
  - url: ${server.url}/api/v1/write
    basic_auth:
      username: prometheus
      password: ${ingestKey}
${via('basic')}
  - url: ${server.url}/api/v1/write
    authorization:
      credentials: ${wrong}
${via('wrong')}
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

async function series(match: string): Promise<{ key: string }[]> {
  const r = await fetch(`${server.url}/api/v1/series?match=${encodeURIComponent(match)}&limit=100000`, {
    headers: { authorization: `Bearer ${readKey}` },
  });
  expect(r.status).toBe(200);
  return ((await r.json()) as { series: { key: string }[] }).series;
}

describe('a real Prometheus with API keys', () => {
  it('remote_writes with Bearer and with basic_auth, scrapes /metrics with its key; a wrong key delivers nothing', async () => {
    // `up` of the vigil job is written by Prometheus itself: 1 only if the keyed scrape of
    // /metrics succeeded.
    const up = await eventually(async () => {
      const key = `up{instance="${new URL(server.url).host}",job="vigil",via="bearer"}`;
      const r = await fetch(`${server.url}/api/v1/points?series=${encodeURIComponent(key)}`, {
        headers: { authorization: `Bearer ${readKey}` },
      });
      if (r.status !== 200) return null;
      const body = (await r.json()) as { total: number; points: { value: number }[] };
      return body.total >= 2 ? body : null;
    }, 60_000);
    expect(up.points.every((p) => p.value === 1)).toBe(true);
    await eventually(async () => (await series('{job="prom",via="basic"}')).length > 10, 60_000);
    expect((await series('{via="wrong"}')).length).toBe(0);
    const m = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${readKey}` } })
    ).text();
    // The wrong key's sends were refused with 401 (Prometheus drops a batch on a 4xx other than 429).
    expect(m).toMatch(
      /vigil_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/write"[^}]*status="401"/,
    );
  }, 120_000);
});
