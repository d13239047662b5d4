/**
 * Served models on a real embedded server with the real file registry (<dataDir>/models, written
 * by a second registry instance on the same directory, as `vigil models` would): the @production
 * version is loaded at start and scores its series (anomalies carry it); an alias move switches
 * the server within a poll, and moving it back rolls back; a corrupt version moved to production
 * is refused with its model.json path in the log and the loaded version keeps serving; a
 * per-series config overrides the model throughout; live metrics land in tracking runs.
 *
 * Prints the switch latency: alias move → the series' config in force is the new version's (every
 * point scored after that is the new version's; measured on the engine thread through the API).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileModelRegistry } from '../../src/adapters/model-files/index.ts';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { encodeModelSpec, MODEL_FILE, type ModelSpec } from '../../src/core/models/model.ts';
import type { ModelRegistry } from '../../src/ports/model-registry.ts';
import { eventually } from '../helpers/embedded.ts';

// The default: the latency printed is what a deployment with default settings sees.
const POLL_MS = 5000;
const ewma = (name: string, threshold: number) => ({
  name,
  detector: { name: 'ewma', params: { alpha: 0.1, bandSigmas: 3, warmup: 5, minStd: 1e-9 } },
  calibration: { name: 'none' },
  threshold,
  postRules: [],
});
const spec = (name: string): ModelSpec => ({
  format: 'vigil-model',
  formatVersion: 1,
  name: 'cpu',
  selector: '{__name__="ms_cpu"}',
  pipeline: ewma(name, 0.99),
});
const filesOf = (s: ModelSpec) => new Map([[MODEL_FILE, encodeModelSpec(s)]]);

const MODELLED = 'ms_cpu{host="a"}';
const OVERRIDDEN = 'ms_cpu{host="b"}';
const PLAIN = 'ms_mem{host="a"}';
const SERIES = [
  { metric: 'ms_cpu', tags: { host: 'a' } },
  { metric: 'ms_cpu', tags: { host: 'b' } },
  { metric: 'ms_mem', tags: { host: 'a' } },
];
const T0 = 1_700_000_000_000;

let dataDir: string;
let config: ReturnType<typeof validateConfig>;
let logTo: Writable;
let server: EmbeddedServer;
let registry: ModelRegistry;
const logLines: string[] = [];
let next = 0;

async function json(path: string, init?: RequestInit) {
  const r = await fetch(`${server.url}${path}`, init);
  const text = await r.text();
  return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

/** `n` points per series: flat around 10, the last one a spike to 100. */
async function ingest(n: number): Promise<number> {
  const points = [];
  for (let k = 0; k < n; k++, next++) {
    const value = k === n - 1 ? 100 : 10 + Math.sin(next) * 0.5;
    for (const s of SERIES) points.push({ ...s, ts: T0 + next * 1000, value });
  }
  const r = await json('/api/v1/points', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
  await server.engine.drain();
  return T0 + (next - 1) * 1000;
}

interface AnomalyOut {
  series: string;
  start: number;
  detector: string;
  model?: { name: string; version: string };
}
async function anomalyAt(series: string, start: number): Promise<AnomalyOut | undefined> {
  const r = await json(`/api/v1/anomalies?limit=100&from=${start}`);
  return (r.body.anomalies as AnomalyOut[]).find((a) => a.series === series && a.start === start);
}

const inForce = async (series: string) =>
  (await json(`/api/v1/series/config?series=${encodeURIComponent(series)}`)).body.detector as string;

/** Moves @production and measures until the series' config in force is `pipeline`'s. */
async function moveAndWait(version: string, pipeline: string): Promise<number> {
  const moved = performance.now();
  await registry.setAlias('cpu', 'production', version);
  await eventually(async () => (await inForce(MODELLED)) === pipeline, 30_000);
  return performance.now() - moved;
}

async function metric(name: string): Promise<string[]> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-models-'));
  registry = await openFileModelRegistry(join(dataDir, 'models'));
  await registry.createVersion('cpu', filesOf(spec('cpu-v1')));
  await registry.setAlias('cpu', 'production', '1');
  config = validateConfig({
    dataDir,
    logLevel: 'info',
    http: { host: '127.0.0.1', port: 0 },
    engine: { checkpointIntervalMs: 50, pipeline: ewma('default-p', 0.999) },
    models: { pollMs: POLL_MS, liveMetricsMs: 1000, warmStartPoints: 0 },
  });
  logTo = new Writable({
    write(chunk, _enc, done) {
      logLines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  server = await startEmbedded(config, { logTo });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await registry?.close();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

describe('served models, embedded', () => {
  it('scores with @production from the start; a per-series config overrides it; others run the default', async () => {
    await ingest(1);
    const put = await json(`/api/v1/series/config?series=${encodeURIComponent(OVERRIDDEN)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pipeline: ewma('override-p', 0.99) }),
    });
    expect(put.status).toBe(200);
    await server.models.poll.poll(); // the new series: resolved at once rather than within a poll
    expect(await inForce(MODELLED)).toBe('cpu-v1');
    const spike = await ingest(30);
    const a = await anomalyAt(MODELLED, spike);
    expect(a).toMatchObject({ detector: 'cpu-v1', model: { name: 'cpu', version: '1' } });
    expect(await anomalyAt(OVERRIDDEN, spike)).toMatchObject({ detector: 'override-p' });
    expect((await anomalyAt(OVERRIDDEN, spike))?.model).toBeUndefined();
    expect(await anomalyAt(PLAIN, spike)).toMatchObject({ detector: 'default-p' });
    expect((await anomalyAt(PLAIN, spike))?.model).toBeUndefined();
    expect(await metric('vigil_model_loaded_info{')).toEqual([
      'vigil_model_loaded_info{model="cpu",version="1"} 1',
    ]);
  });

  it('switches within a poll of an alias move; new anomalies carry the new version; rollback the same way', async () => {
    await registry.createVersion('cpu', filesOf(spec('cpu-v2')));
    const toV2 = await moveAndWait('2', 'cpu-v2');
    let spike = await ingest(30);
    expect(await anomalyAt(MODELLED, spike)).toMatchObject({ detector: 'cpu-v2', model: { version: '2' } });
    expect(await inForce(OVERRIDDEN)).toBe('override-p');

    const back = await moveAndWait('1', 'cpu-v1');
    spike = await ingest(30);
    expect(await anomalyAt(MODELLED, spike)).toMatchObject({ detector: 'cpu-v1', model: { version: '1' } });
    expect(await metric('vigil_model_reloads_total')).toContain('vigil_model_reloads_total 3');
    console.log(
      `switch latency (alias move -> config in force, models.pollMs ${POLL_MS}): to v2 ${toV2.toFixed(0)} ms, rollback to v1 ${back.toFixed(0)} ms`,
    );
  });

  it('refuses a corrupt version with its model.json path in the log; the loaded version keeps serving', async () => {
    const v3 = await registry.createVersion('cpu', filesOf(spec('cpu-v3')));
    // Corrupted on disk after registering (a damaged artifact store).
    const path = join(v3.source, MODEL_FILE);
    writeFileSync(path, '{"format": "vigil-model", "name": ');
    await registry.setAlias('cpu', 'production', '3');
    await eventually(async () =>
      (await metric('vigil_model_load_failures_total')).includes('vigil_model_load_failures_total 1'),
    );
    const refused = logLines
      .map((l) => JSON.parse(l))
      .find((l) => l.msg?.startsWith('model version refused'));
    expect(refused).toMatchObject({ level: 50, model: 'cpu', version: '3' });
    expect(refused.err.message).toContain(path);
    expect(refused.err.code).toBe('VIGIL_ERR_BAD_MODEL');
    await server.models.poll.poll();
    expect(await inForce(MODELLED)).toBe('cpu-v1');
    const spike = await ingest(30);
    expect(await anomalyAt(MODELLED, spike)).toMatchObject({ detector: 'cpu-v1', model: { version: '1' } });
  });

  it('after a restart onto the corrupt version, the series go on under the version their checkpoints hold', async () => {
    await server.close();
    server = await startEmbedded(config, { logTo });
    expect(await inForce(MODELLED)).toBe('cpu-v1');
    expect(await inForce(OVERRIDDEN)).toBe('override-p');
    const spike = await ingest(30);
    expect(await anomalyAt(MODELLED, spike)).toMatchObject({ detector: 'cpu-v1', model: { version: '1' } });
  });

  it('logs live metrics per model version to a tracking run', async () => {
    await server.models.live?.tick();
    const root = join(dataDir, 'models', '.tracking');
    const runs = readdirSync(root).flatMap((exp) =>
      readdirSync(join(root, exp), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(root, exp, d.name)),
    );
    const tagged = runs
      .map((dir) => ({ dir, run: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) }))
      .filter((r) => r.run.tags?.model === 'cpu' && r.run.tags?.role === 'embedded');
    expect(tagged.map((r) => r.run.tags.version)).toContain('1');
    const v1 = tagged.find((r) => r.run.tags.version === '1')!;
    const lines = readFileSync(join(v1.dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.key)).toEqual(expect.arrayContaining(['anomalies_opened', 'series']));
    expect(lines.filter((l) => l.key === 'series').at(-1).value).toBe(1);
  });
});
