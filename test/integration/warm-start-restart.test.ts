/**
 * Warm start across a restart: a series' saved state belongs to the pipeline it was written
 * under; when the server comes back with another default pipeline (an upgrade that changed a
 * preset, or a changed `engine.pipeline`), the series starts afresh and is primed from its stored
 * history, like after a per-series config change. The pipeline is an EWMA on probation for its
 * first 200 points, so a spike right after the restart is flagged only by a primed pipeline.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { postPoints } from '../helpers/embedded.ts';

const T0 = 1_700_000_000_000;
const KEY = encodeURIComponent('wsr_cpu{host="a"}');
const pipeline = (threshold: number) => ({
  detector: { name: 'ewma', params: { alpha: 0.05, bandSigmas: 4, warmup: 200 } },
  calibration: { name: 'none' },
  threshold,
  postRules: [],
});
const point = (ts: number, value: number) => ({ metric: 'wsr_cpu', tags: { host: 'a' }, ts, value });

let dataDir = '';
/** vigil_warm_start_series_total{reason="restart"} once the restart's warm start is done. */
let primedSeries = 0;
let server: EmbeddedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

function start(threshold: number, warmStartPoints = 10_000): Promise<EmbeddedServer> {
  return startEmbedded(
    validateConfig({
      dataDir,
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      engine: { threads: 2, checkpointIntervalMs: 50, pipeline: pipeline(threshold) },
      models: { warmStartPoints },
    }),
  );
}

/** Anomalies starting after the restart, once the spike sent after it is scored. */
async function spikeAfterRestart(threshold2: number, warmStartPoints?: number): Promise<number[]> {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-wsr-'));
  server = await start(0.999, warmStartPoints);
  // 300 points of history, a gentle wave, scored, stored and checkpointed under the first pipeline.
  await postPoints(
    server.url,
    Array.from({ length: 300 }, (_, i) => point(T0 + i * 1000, 10 + Math.sin(i / 3))),
  );
  await server.engine.drain();
  await server.engine.checkpoint();
  await server.close();

  server = await start(threshold2, warmStartPoints);
  await server.restartWarmStart;
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  primedSeries = Number(/^vigil_warm_start_series_total\{reason="restart"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  await postPoints(server.url, [point(T0 + 300_000, 10), point(T0 + 305_000, 100), point(T0 + 310_000, 10)]);
  await server.engine.drain();
  const r = await fetch(`${server.url}/api/v1/anomalies?series=${KEY}`);
  expect(r.status).toBe(200);
  const body = (await r.json()) as { anomalies: { start: number }[] };
  return body.anomalies.filter((a) => a.start >= T0 + 300_000).map((a) => a.start);
}

describe('warm start after a restart under another default pipeline', () => {
  it('primes the series from its stored history: a spike right after the restart is flagged', async () => {
    expect(await spikeAfterRestart(0.998)).toEqual([T0 + 305_000]);
    expect(primedSeries).toBe(1);
  }, 60_000);

  it('with models.warmStartPoints 0 the series starts cold: the same spike passes', async () => {
    expect(await spikeAfterRestart(0.998, 0)).toEqual([]);
  }, 60_000);

  it('under the same pipeline the saved state is restored: the spike is flagged with no warm start', async () => {
    expect(await spikeAfterRestart(0.999, 0)).toEqual([T0 + 305_000]);
    expect(primedSeries).toBe(0);
  }, 60_000);
});
