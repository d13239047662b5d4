/**
 * The load generator of `vigil bench ingest` against a real server, with each HTTP client: every
 * request it sends is answered 204 and counted, and the server's ingest counter grew by exactly
 * the points it sent.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';

const LOADGEN = join(import.meta.dirname, '../../src/cli/bench/ingest-loadgen.ts');
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ engine: { detector: 'ewma' } });
});
afterAll(async () => {
  await server?.dispose();
});

function run(client: 'raw' | 'node'): Promise<Record<string, number | string>> {
  // 2,000 points/s for 1 s in 10-point requests over 7 series and 3 connections: 200 requests.
  const args = [LOADGEN, server.url, '2000', '1', '7', '10', '3', client];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`exit ${code}`)),
    );
  });
}

const accepted = async () => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^vigil_ingest_points_total\{format="json"\} (\d+)/m.exec(text)?.[1] ?? 0);
};

describe('bench ingest load generator', () => {
  it('raw client: every request answered and every point accepted', async () => {
    const before = await accepted();
    const r = await run('raw');
    expect(r).toMatchObject({ client: 'raw', requests: 200, ok: 200, failed: 0, rejected: 0 });
    expect(r.p50Ms).toBeGreaterThan(0);
    // A 1 s run is one 10 s window: its p99 is the run's.
    expect(r.p99ByWindowMs).toEqual([r.p99Ms]);
    expect((await accepted()) - before).toBe(2000);
  });

  it('node:http client: the same', async () => {
    const before = await accepted();
    const r = await run('node');
    expect(r).toMatchObject({ client: 'node', requests: 200, ok: 200, failed: 0, rejected: 0 });
    expect((await accepted()) - before).toBe(2000);
  });
});
