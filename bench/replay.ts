/**
 * "Try it" (POST /api/v1/series/replay) on a full-size replay: `npx node bench/replay.ts [runs]
 * [points]` (default 5 runs, 100,000 points = REPLAY_MAX_POINTS). Prints figures; never gates on
 * time.
 *
 * An embedded server on a throwaway data dir gets one series of `points` points (10 s apart, a
 * spike every 10,000), waited for until GET /api/v1/points counts them all. Each run replays the
 * default pipeline and the raw-ewma one over all of it, timed from Node, while GET /healthz is
 * asked every 20 ms: its slowest answer during the replays shows whether the replay (in a worker
 * thread) held up other requests, beside its slowest over as long a time without replays before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbedded } from '../src/app/embedded.ts';
import { validateConfig } from '../src/config/load.ts';

const RUNS = Number(process.argv[2] ?? 5);
const POINTS = Number(process.argv[3] ?? 100_000);
const LOAD = loadavg();
const T0 = Date.UTC(2025, 0, 1);
const KEY = encodeURIComponent('replay_bench{host="a"}');

const dataDir = mkdtempSync(join(tmpdir(), 'vigil-bench-replay-'));
const server = await startEmbedded(
  validateConfig({
    dataDir,
    logLevel: 'silent',
    http: { host: '127.0.0.1', port: 0, queryTimeoutMs: 120_000 },
    engine: { checkpointIntervalMs: 200 },
  }),
);
try {
  for (let at = 0; at < POINTS; at += 20_000) {
    const points = Array.from({ length: Math.min(20_000, POINTS - at) }, (_, k) => {
      const i = at + k;
      return {
        metric: 'replay_bench',
        tags: { host: 'a' },
        ts: T0 + i * 10_000,
        value: i % 10_000 === 9_999 ? 500 : 10 + Math.sin(i / 50) + (i % 7) * 0.05,
      };
    });
    const r = await fetch(`${server.url}/api/v1/points`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points }),
    });
    if (r.status !== 204) throw new Error(`ingest: ${r.status} ${await r.text()}`);
  }
  for (;;) {
    const r = await fetch(`${server.url}/api/v1/points?series=${KEY}&maxPoints=2`);
    if (((await r.json()) as { total: number }).total === POINTS) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  let probing = true;
  let slowest = 0;
  let probes = 0;
  const started = performance.now();
  const probe = async () => {
    while (probing) {
      const t = performance.now();
      await (await fetch(`${server.url}/healthz`)).arrayBuffer();
      slowest = Math.max(slowest, performance.now() - t);
      probes++;
      await new Promise((res) => setTimeout(res, 20));
    }
  };
  let running = probe();
  const bodies: [string, unknown][] = [
    ['default preset', { detector: 'default' }],
    [
      'ewma raw 0.99',
      { pipeline: { detector: { name: 'ewma' }, calibration: { name: 'none' }, threshold: 0.99 } },
    ],
  ];
  for (const [name, body] of bodies) {
    const ms: number[] = [];
    let raised = 0;
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      const r = await fetch(`${server.url}/api/v1/series/replay?series=${KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const ans = (await r.json()) as { points: number; raised: number };
      if (r.status !== 200) throw new Error(`replay: ${r.status} ${JSON.stringify(ans)}`);
      ms.push(performance.now() - t);
      raised = ans.raised;
    }
    ms.sort((a, b) => a - b);
    console.log(
      `${name}: ${POINTS} points replayed, ${raised} anomalies; median ${Math.round(ms[ms.length >> 1]!)} ms, ` +
        `min ${Math.round(ms[0]!)} ms, max ${Math.round(ms[ms.length - 1]!)} ms over ${RUNS} runs`,
    );
  }
  probing = false;
  await running;
  const during = { probes, slowest };
  const replayMs = performance.now() - started;
  probing = true;
  slowest = 0;
  probes = 0;
  running = probe();
  await new Promise((res) => setTimeout(res, replayMs));
  probing = false;
  await running;
  console.log(
    `GET /healthz during the replays: ${during.probes} answers, slowest ${Math.round(during.slowest)} ms`,
  );
  console.log(`GET /healthz as long without replays: ${probes} answers, slowest ${Math.round(slowest)} ms`);
  console.log(`load average at start: ${LOAD.map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
