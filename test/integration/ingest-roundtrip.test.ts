/**
 * Each ingest format over a real socket: points written are stored durably, scored, and come back
 * from the query API with scores and bands.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeLineProtocol, encodeRemoteWrite } from '../../src/adapters/ingest/encode.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
const T0 = Date.UTC(2026, 0, 1);

// ewma: its bands and verdicts on this tiny fixture are predictable; the ingest path is under test.
const CONFIG = { engine: { detector: 'ewma' } };

beforeAll(async () => {
  server = await startTestServer(CONFIG);
});
afterAll(async () => {
  await server?.dispose();
});

async function points(series: string): Promise<{ total: number; points: Record<string, unknown>[] }> {
  const r = await fetch(`${server.url}/api/v1/points?series=${encodeURIComponent(series)}&maxPoints=100000`);
  if (r.status !== 200) return { total: 0, points: [] };
  return (await r.json()) as { total: number; points: Record<string, unknown>[] };
}

function wave(n: number, spikeAt: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === spikeAt ? 500 : 10 + Math.sin(i / 5) + (i % 7) * 0.05));
}

describe('ingest round trip over HTTP', () => {
  it('JSON: points come back scored, with a band and the spike flagged', async () => {
    const values = wave(200, 150);
    const body = {
      points: values.map((value, i) => ({
        metric: 'rt_json',
        tags: { host: 'a' },
        ts: T0 + i * 1000,
        value,
      })),
    };
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(204);
    const got = await eventually(async () => {
      const p = await points('rt_json{host="a"}');
      return p.total === 200 ? p : null;
    });
    expect(got.points.map((p) => p.value)).toEqual(values);
    const spike = got.points[150]!;
    expect(spike.anomalous).toBe(true);
    expect(spike.score as number).toBeGreaterThan(0.999);
    expect(typeof spike.expected).toBe('number');
    expect(spike.lower as number).toBeLessThan(spike.upper as number);
    const anomalies = (await (
      await fetch(`${server.url}/api/v1/anomalies?series=${encodeURIComponent('rt_json{host="a"}')}`)
    ).json()) as {
      anomalies: { start: number; direction: string }[];
    };
    expect(anomalies.anomalies.some((a) => a.start === T0 + 150_000 && a.direction === 'up')).toBe(true);
  });

  it('NDJSON with RFC 3339 timestamps', async () => {
    const lines = [0, 1, 2].map((i) =>
      JSON.stringify({ metric: 'rt_ndjson', ts: new Date(T0 + i * 60_000).toISOString(), value: i }),
    );
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
    expect(r.status).toBe(204);
    const got = await eventually(async () => {
      const p = await points('rt_ndjson');
      return p.total === 3 ? p : null;
    });
    expect(got.points.map((p) => p.ts)).toEqual([T0, T0 + 60_000, T0 + 120_000]);
  });

  it('Influx line protocol: each field becomes <measurement>_<field> with the tags', async () => {
    const text = encodeLineProtocol(
      [0, 1, 2, 3].flatMap((i) => [
        { metric: 'rt_cpu_usage_idle', tags: { host: 'h1' }, ts: T0 + i * 10_000, value: 90 + i },
      ]),
      'ms',
    );
    const r = await fetch(`${server.url}/write?precision=ms&db=telegraf`, { method: 'POST', body: text });
    expect(r.status).toBe(204);
    // A Telegraf-style multi-field line with an integer, a boolean and a string field.
    const r2 = await fetch(`${server.url}/write?precision=s`, {
      method: 'POST',
      body: `rt_mem,host=h1 used=42i,ok=true,note="fine" ${Math.floor(T0 / 1000)}\n`,
    });
    expect(r2.status).toBe(204);
    const got = await eventually(async () => {
      const p = await points('rt_cpu_usage_idle{host="h1"}');
      return p.total === 4 ? p : null;
    });
    expect(got.points.map((p) => p.value)).toEqual([90, 91, 92, 93]);
    const used = await eventually(async () =>
      (await points('rt_mem_used{host="h1"}')).total === 1 ? true : null,
    );
    expect(used).toBe(true);
    expect((await points('rt_mem_ok{host="h1"}')).points[0]?.value).toBe(1);
    expect((await points('rt_mem_note{host="h1"}')).total).toBe(0);
  });

  it('Prometheus remote_write: protobuf + snappy', async () => {
    const body = encodeRemoteWrite([
      {
        labels: { __name__: 'rt_prom_requests', job: 'api', instance: 'x:1' },
        samples: [0, 1, 2, 3, 4].map((i) => ({ ts: T0 + i * 15_000, value: i * 2 })),
      },
    ]);
    const r = await fetch(`${server.url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-protobuf',
        'content-encoding': 'snappy',
        'x-prometheus-remote-write-version': '0.1.0',
      },
      body,
    });
    expect(r.status).toBe(204);
    const got = await eventually(async () => {
      const p = await points('rt_prom_requests{instance="x:1",job="api"}');
      return p.total === 5 ? p : null;
    });
    expect(got.points.map((p) => p.value)).toEqual([0, 2, 4, 6, 8]);
    const series = (await (
      await fetch(`${server.url}/api/v1/series?match=${encodeURIComponent('rt_prom_requests{job="api"}')}`)
    ).json()) as {
      series: { key: string }[];
    };
    expect(series.series.map((s) => s.key)).toEqual(['rt_prom_requests{instance="x:1",job="api"}']);
  });

  it('points survive a restart from the same data dir', async () => {
    const { startEmbedded } = await import('../../src/app/embedded.ts');
    const { validateConfig } = await import('../../src/config/load.ts');
    await server.close();
    const again = await startEmbedded(
      validateConfig({ dataDir: server.dataDir, logLevel: 'silent', http: { host: '127.0.0.1', port: 0 } }),
    );
    try {
      const r = await fetch(`${again.url}/api/v1/points?series=${encodeURIComponent('rt_json{host="a"}')}`);
      expect(((await r.json()) as { total: number }).total).toBe(200);
    } finally {
      await again.close();
    }
    rmSync(server.dataDir, { recursive: true, force: true });
    server = await startTestServer(CONFIG);
  });
});
