/**
 * Faults in the scaled-out deployment. Each scenario brings a fresh deployment up on a private set
 * of services (so stopping a broker or the PostgreSQL primary disturbs no other test file),
 * replays NAB files through nginx with retrying clients (Idempotency-Key per request), injects
 * its fault mid-stream, and ends with: no acknowledged point lost, none duplicated, output
 * identical to `vigil serve` on the same requests.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestPoint } from '../../src/core/point.ts';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';
import { nabRequests, postPoints } from './support/nab-requests.ts';
import { anomaliesOf, expectSameAnswer, writeDeploymentConfig } from './support/same-answer.ts';

const REPO = resolve(import.meta.dirname, '../..');
// A private set of services: faults here must not reach test files running beside this one.
const STACK = join(REPO, '.services', 'stack-faults');
process.env.VIGIL_SERVICES_DIR = STACK;
// @ts-expect-error plain ESM script without types
const { cluster } = (await import('../../scripts/cluster.mjs')) as {
  cluster(argv: string[]): Promise<ClusterState>;
};

interface Proc {
  role: string;
  index: number;
  pid: number;
  url: string;
}
interface ClusterState {
  nginx: string;
  procs: Proc[];
  env: Record<string, string>;
}

const engine = { checkpointIntervalMs: 300, allowedLatenessMs: 60_000 };
let workDir: string;
let embedded: TestServer;
let requests: IngestPoint[][];
let series: string[];

function svc(name: string, ...args: string[]): string {
  return execFileSync('bash', [join(REPO, 'scripts/services', `${name}.sh`), ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIGIL_SERVICES_DIR: STACK },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
}

/** Brings a named deployment up, replays the requests, calling `faults[i]` before request i. */
async function scenario(
  name: string,
  faults: Record<number, (s: ClusterState, run: string) => Promise<void> | void>,
  extra: Record<string, unknown> = {},
): Promise<ClusterState> {
  const run = `${name}${randomBytes(3).toString('hex')}`;
  const configFile = join(workDir, `${run}.json`);
  writeDeploymentConfig(configFile, run, engine, (extra.redis as Record<string, unknown>) ?? {});
  await cluster(['up', '--name', run, '--config', configFile, '--keep-services']);
  const state = await cluster(['status', '--name', run]);
  try {
    for (const [i, r] of requests.entries()) {
      await faults[i]?.(state, run);
      await postPoints(state.nginx, r, { idempotencyKey: `${run}-${i}`, attempts: 240 });
    }
    await expectSameAnswer(state.nginx, embedded.url, series);
  } finally {
    await cluster(['down', '--name', run, '--keep-services']);
  }
  return state;
}

const kill9 = (s: ClusterState, role: string, index: number) => {
  const p = s.procs.find((x) => x.role === role && x.index === index)!;
  process.kill(p.pid, 'SIGKILL');
};
const at = (fraction: number) => Math.floor(requests.length * fraction);

describe('faults in the scaled-out deployment', () => {
  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'vigil-faults-'));
    ({ requests, series } = nabRequests(400, { maxFiles: 8 }));
    embedded = await startTestServer({ engine });
    for (const r of requests) await postPoints(embedded.url, r);
    await embedded.engine.drain();
  }, 600_000);

  afterAll(async () => {
    await embedded?.dispose();
    for (const s of ['nginx', 'kafka', 'postgres', 'redis', 'influxdb', 'mlflow']) {
      try {
        svc(s, 'down');
      } catch {}
    }
    rmSync(STACK, { recursive: true, force: true });
    rmSync(workDir, { recursive: true, force: true });
  }, 300_000);

  it('kill -9 of a detector: its partitions move to the other, which resumes from the checkpoint', async () => {
    await scenario('det', { [at(0.4)]: (s) => kill9(s, 'detector', 1) });
  }, 900_000);

  it('SIGTERM of a detector (states in Redis): it drains, checkpoints and leaves; the other takes over', async () => {
    let exited = false;
    await scenario(
      'term',
      {
        [at(0.4)]: async (s) => {
          const p = s.procs.find((x) => x.role === 'detector' && x.index === 1)!;
          process.kill(p.pid, 'SIGTERM');
          // Graceful shutdown ends the process by itself (bounded wait).
          for (let i = 0; i < 600 && !exited; i++) {
            try {
              process.kill(p.pid, 0);
              await new Promise((r) => setTimeout(r, 100));
            } catch {
              exited = true;
            }
          }
        },
      },
      // This scenario keeps detector state and offsets in Redis (redis.checkpointStates).
      { redis: { checkpointStates: true } },
    );
    expect(exited).toBe(true);
  }, 900_000);

  it('kill -9 of a processor and of an API server: clients retry through nginx', async () => {
    await scenario('proc', {
      [at(0.3)]: (s) => kill9(s, 'processor', 1),
      [at(0.6)]: (s) => kill9(s, 'api', 1),
    });
  }, 900_000);

  it('a Kafka broker stopped during ingest and started again', async () => {
    await scenario('broker', {
      [at(0.3)]: () => void svc('kafka', 'stop-broker', '2'),
      [at(0.7)]: () => void svc('kafka', 'start-broker', '2'),
    });
  }, 900_000);

  it('PostgreSQL primary stopped: reads from the replica, writes 503 until it is back, then catch-up', async () => {
    await scenario('pg', {
      [at(0.5)]: async (s) => {
        svc('postgres', 'stop-primary');
        try {
          // Reads that tolerate lag keep working from the replica.
          const r = await fetch(`${s.nginx}/api/v1/anomalies?limit=5`);
          expect(r.status).toBe(200);
          // A write that needs the primary answers 503 with a clear, retriable error.
          const w = await fetch(`${s.nginx}/api/v1/series/config?series=${encodeURIComponent(series[0]!)}`, {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ threshold: 0.5 }),
          });
          expect(w.status).toBe(503);
          expect(((await w.json()) as { code: string }).code).toBe('VIGIL_ERR_UNAVAILABLE');
          expect(w.headers.get('retry-after')).not.toBeNull();
          await new Promise((r) => setTimeout(r, 3000));
        } finally {
          svc('postgres', 'start-primary');
        }
      },
    });
  }, 900_000);

  it('a Redis master killed: the cluster fails over and deduplication keeps working', async () => {
    let repeatedAfterFailover = false;
    const state = await scenario('redis', {
      [at(0.4)]: () => void svc('redis', 'kill-master'),
      [at(0.8)]: async (s, run) => {
        // Request 0 repeated with its key after the failover is recognised (Redis answers again).
        const before = await dedupCount(s);
        await postPoints(s.nginx, requests[0]!, { idempotencyKey: `${run}-0` });
        repeatedAfterFailover = (await dedupCount(s)) === before + 1;
      },
    });
    expect(state.procs.length).toBeGreaterThan(0);
    expect(repeatedAfterFailover).toBe(true);
    expect((await anomaliesOf(embedded.url)).length).toBeGreaterThan(0);
  }, 900_000);
});

async function dedupCount(s: ClusterState): Promise<number> {
  let n = 0;
  for (const p of s.procs.filter((x) => x.role === 'api')) {
    const text = await (await fetch(`${p.url}/metrics`)).text().catch(() => '');
    const line = text.split('\n').find((l) => l.startsWith('vigil_ingest_deduplicated_requests_total '));
    if (line !== undefined) n += Number(line.split(' ')[1]);
  }
  return n;
}
