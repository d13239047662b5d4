/**
 * A real Prometheus (Debian package `prometheus`) with `remote_read` pointed at Vigil (API keys on)
 * answers PromQL over Vigil's scored series through its own HTTP API: the values as the metric,
 * the anomaly score, expected value, band and verdict under vmanomaly's names with `for`. A
 * malformed read body gets a 400 naming it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
let prom: ChildProcess | undefined;
let promUrl = '';
let dir = '';
let readKey = '';
let ingestKey = '';
// Recent enough for Prometheus' default query window; whole seconds so PromQL's steps land on points.
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000;
const N = 120;

beforeAll(async () => {
  const bin = execFileSync('sh', ['-c', 'command -v prometheus || true'], { encoding: 'utf8' }).trim();
  if (bin === '')
    throw new Error('prometheus is not installed: run `bash scripts/services/install.sh` (as root)');
  server = await startTestServer({
    engine: { detector: 'ewma' },
    auth: { mode: 'keys', maxFailures: 1_000_000 },
  });
  ingestKey = (await server.keys.create({ scopes: ['ingest'], name: 'writer' })).key;
  readKey = (await server.keys.create({ scopes: ['read'], name: 'prometheus' })).key;
  const values = Array.from({ length: N }, (_, i) => (i === 100 ? 500 : 10 + (i % 5)));
  const r = await fetch(`${server.url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
    body: JSON.stringify({
      points: values.map((value, i) => ({
        metric: 'rr_cpu',
        tags: { host: 'a' },
        ts: T0 + i * 15_000,
        value,
      })),
    }),
  });
  expect(r.status).toBe(204);
  await eventually(async () => {
    const p = await fetch(`${server.url}/api/v1/points?series=${encodeURIComponent('rr_cpu{host="a"}')}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    return p.status === 200 && ((await p.json()) as { total: number }).total === N ? true : null;
  });
  dir = mkdtempSync(join(tmpdir(), 'vigil-prom-read-'));
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `remote_read:
  - url: ${server.url}/api/v1/read
    read_recent: true
    authorization:
      credentials: ${readKey}
`,
  );
  prom = spawn(
    bin,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: 'ignore' },
  );
  await eventually(async () =>
    (await fetch(`${promUrl}/-/ready`).catch(() => undefined))?.status === 200 ? true : null,
  );
}, 120_000);

afterAll(async () => {
  prom?.kill('SIGTERM');
  await server?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Matrix {
  status: string;
  data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
}

async function range(query: string): Promise<Matrix['data']['result']> {
  const u = new URL(`${promUrl}/api/v1/query_range`);
  u.searchParams.set('query', query);
  u.searchParams.set('start', String(T0 / 1000));
  u.searchParams.set('end', String((T0 + (N - 1) * 15_000) / 1000));
  u.searchParams.set('step', '15');
  const body = (await (await fetch(u)).json()) as Matrix;
  expect(body.status).toBe('success');
  return body.data.result;
}

describe('Prometheus remote_read of Vigil', () => {
  it('PromQL reads the values and the anomaly columns under vmanomaly’s names', async () => {
    const [values] = await range('rr_cpu{host="a"}');
    expect(values!.metric).toEqual({ __name__: 'rr_cpu', host: 'a' });
    expect(values!.values.length).toBe(N);
    expect(Number(values!.values[100]![1])).toBe(500);
    const [score] = await range('anomaly_score{for="rr_cpu"}');
    expect(score!.metric).toEqual({ __name__: 'anomaly_score', for: 'rr_cpu', host: 'a' });
    // After the detector's warm-up, the spike scores highest.
    const scores = score!.values.map(([, v]) => Number(v)).slice(20);
    expect(scores.indexOf(Math.max(...scores)) + 20).toBe(100);
    const [flag] = await range('anomalous{for="rr_cpu",host=~"a|b"} == 1');
    expect(flag!.values.map(([t]) => t * 1000)).toContain(T0 + 100 * 15_000);
    const band = await range('{__name__=~"yhat|yhat_lower|yhat_upper", for="rr_cpu"}');
    expect(band.map((s) => s.metric.__name__).sort()).toEqual(['yhat', 'yhat_lower', 'yhat_upper']);
    const ok = await range('count(yhat_lower{for="rr_cpu"} <= yhat_upper{for="rr_cpu"})');
    expect(ok[0]!.values.length).toBeGreaterThan(N / 2);
  });

  it('every query of the Grafana dashboard in deploy/grafana answers with data', async () => {
    const dash = JSON.parse(readFileSync('deploy/grafana/vigil-anomalies.json', 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    const exprs = dash.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThanOrEqual(7);
    for (const expr of exprs) {
      const q = expr
        .replaceAll('$metric', 'rr_cpu')
        .replaceAll(/\$\{selector:raw\}/g, '')
        .replaceAll('$__range', '2h');
      expect((await range(q)).length, q).toBeGreaterThan(0);
    }
  });

  it('a read without the read scope is refused, a malformed body is a 400 naming the body', async () => {
    const denied = await fetch(`${server.url}/api/v1/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(denied.status).toBe(403);
    const bad = await fetch(`${server.url}/api/v1/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/x-protobuf' },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'VIGIL_ERR_BAD_REMOTE_READ', field: 'body' });
  });
});
