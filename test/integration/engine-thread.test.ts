/**
 * The embedded engine thread on its own (real worker thread, real SQLite files): committed batches
 * are scored there, queries see them before and after a checkpoint, a checkpoint truncates the
 * log on the main thread's side, and a thread that cannot start fails every call clearly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteIngest } from '../../src/adapters/sqlite/index.ts';
import { EngineThread } from '../../src/app/engine-thread.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { VigilError } from '../../src/core/errors.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup(storePath?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-engine-thread-'));
  dirs.push(dir);
  const config = validateConfig({ dataDir: dir, engine: { detector: 'ewma', checkpointIntervalMs: 60_000 } });
  const logPath = join(dir, 'log.db');
  // As in `vigil serve`: the log writer thread forwards committed entries to the engine thread.
  const channel = new MessageChannel();
  const ingest = openSqliteIngest(
    { dataDir: dir, synchronous: 'normal' },
    { commits: 'worker', forward: [channel.port1] },
  );
  const { log } = ingest;
  const failures: Error[] = [];
  const engine = new EngineThread({
    init: {
      config: structuredClone(config) as Config,
      logPath,
      storePaths: [storePath ?? join(dir, 'store.db')],
      configs: new Map(),
      entries: [channel.port2],
    },
    log,
    onLog: () => {},
    failed: (err) => failures.push(err),
  });
  return { engine, log, catalog: ingest.catalog, ingest, failures };
}

const batch = (sid: number, t0: number, values: number[]) => ({
  seriesIds: Int32Array.from(values.map(() => sid)),
  ts: Float64Array.from(values.map((_, i) => t0 + i * 1000)),
  values: Float64Array.from(values),
});

describe('embedded engine thread', () => {
  it('scores committed batches, serves them before and after a checkpoint, and truncates the log', async () => {
    const { engine, log, catalog, ingest } = setup();
    const [a, b] = catalog.resolveSync(['x{h="a"}', 'x{h="b"}'], 0);
    expect(await engine.recover()).toEqual({ offset: 0, replayedEntries: 0, afresh: [] });
    const values = Array.from({ length: 50 }, (_, i) => 10 + (i % 3));
    await Promise.all([
      engine.submit(batch(a!, 0, values)),
      engine.submit(batch(b!, 0, values.slice(0, 20))),
    ]);
    expect(engine.stats.pointsAccepted).toBe(70);
    await engine.drain();
    expect(engine.lagPoints).toBe(0);
    expect(engine.stats.pointsScored).toBe(70);
    const before = await engine.points(a!, 0, 1e12);
    expect(before.map((p) => p.ts)).toEqual(values.map((_, i) => i * 1000));
    expect(before.every((p) => p.score >= 0 && p.score <= 1 && Number.isFinite(p.value))).toBe(true);
    expect((await log.read(0, 10)).length).toBeGreaterThan(0);

    await engine.checkpoint();
    expect(engine.stats.checkpoints).toBe(1);
    expect(await engine.points(a!, 0, 1e12)).toEqual(before);
    expect((await engine.points(b!, 5000, 10_000)).map((p) => p.ts)).toEqual([5000, 6000, 7000, 8000, 9000]);
    // The truncation is the main thread's, after the engine thread's commit: wait for it.
    for (let i = 0; i < 100 && (await log.read(0, 10)).length > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(await log.read(0, 10)).toEqual([]);
    await engine.close();
    await ingest.close();
  });

  it('fails every call with VIGIL_ERR_ENGINE when the thread cannot start', async () => {
    // A regular file where the store's directory should be: the thread's first open fails (ENOTDIR).
    const blocker = join(mkdtempSync(join(tmpdir(), 'vigil-engine-thread-')), 'not-a-dir');
    dirs.push(dirname(blocker));
    writeFileSync(blocker, '');
    const { engine, ingest, failures } = setup(join(blocker, 'store.db'));
    const err = await engine.recover().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('VIGIL_ERR_ENGINE');
    expect(failures).toHaveLength(1);
    const sub = await engine.submit(batch(1, 0, [1])).catch((e: unknown) => e);
    expect((sub as VigilError).code).toBe('VIGIL_ERR_ENGINE');
    await engine.close();
    await ingest.close();
  });
});
