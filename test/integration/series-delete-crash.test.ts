/**
 * A deleted series does not come back after a crash: (1) `vigil serve` killed with SIGKILL after a
 * delete, before any checkpoint, replays the log that still holds the series' points, and must
 * drop them; (2) a crash between the two steps of a delete (the tombstone in log.db committed, the
 * rows in store.db not yet deleted) is finished by the recovery. Checked in store.db itself, where
 * an orphan would hide from the API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { openSqliteIngest } from '../../src/adapters/sqlite/index.ts';
import { startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';
import { eventually } from '../helpers/embedded.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];
const T = Date.now() - 3_600_000;

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-delete-crash-'));
  dirs.push(d);
  return d;
};

const body = (host: string) =>
  JSON.stringify({
    points: Array.from({ length: 60 }, (_, i) => ({
      metric: 'cpu',
      tags: { host },
      ts: T + i * 60_000,
      value: i === 40 ? 500 : 10 + (i % 3),
    })),
  });

const post = (url: string, host: string) =>
  fetch(`${url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(host),
  });
const points = async (url: string, host: string) =>
  fetch(`${url}/api/v1/points?series=${encodeURIComponent(`cpu{host="${host}"}`)}&maxPoints=100000`);

/**
 * Rows the engine's stores hold of one series, in every table a series has rows in: store.db, and
 * store-<k>.db where the data dir has several engine threads (engine.threads).
 */
function storeRows(dataDir: string, id: number): number {
  let n = 0;
  for (const file of readdirSync(dataDir).filter((f) => /^store(-\d+)?\.db$/.test(f))) {
    const db = new DatabaseSync(join(dataDir, file), { readOnly: true });
    try {
      for (const t of ['chunk_recent', 'chunk_runs', 'anomalies', 'states']) {
        n += Number(db.prepare(`SELECT COUNT(*) AS n FROM ${t} WHERE series_id = ?`).get(id)!.n);
      }
    } finally {
      db.close();
    }
  }
  return n;
}

function idsIn(dataDir: string): { live: Map<string, number>; deleted: Map<string, number> } {
  const db = new DatabaseSync(join(dataDir, 'log.db'), { readOnly: true });
  try {
    const read = (table: string) =>
      new Map(
        db
          .prepare(`SELECT id, key FROM ${table}`)
          .all()
          .map((r) => [String(r.key), Number(r.id)]),
      );
    return { live: read('series'), deleted: read('deleted_series') };
  } finally {
    db.close();
  }
}

function serve(configFile: string): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin/vigil.mjs'), 'serve', '--config', configFile], {
    env: { ...process.env, VIGIL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

describe('a deleted series after a crash', () => {
  it('is not brought back by the replay of the log after SIGKILL', async () => {
    const dataDir = tmp();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const configFile = join(dataDir, 'config.json');
    // No checkpoint before the kill: every point is only in the log, and the replay scores it again.
    writeFileSync(
      configFile,
      JSON.stringify({
        dataDir,
        http: { host: '127.0.0.1', port },
        engine: { checkpointIntervalMs: 3_600_000, detector: 'ewma' },
      }),
    );
    let child = serve(configFile);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
    expect((await post(url, 'x')).status).toBe(204);
    expect((await post(url, 'y')).status).toBe(204);
    await eventually(async () => ((await (await points(url, 'x')).json()) as { total: number }).total === 60);
    await eventually(async () => ((await (await points(url, 'y')).json()) as { total: number }).total === 60);
    const y = await (await points(url, 'y')).text();
    const del = await fetch(`${url}/api/v1/series?series=${encodeURIComponent('cpu{host="x"}')}`, {
      method: 'DELETE',
    });
    expect(await del.json()).toMatchObject({ series: 1, points: 60 });

    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    child = serve(configFile);
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, 30_000);
    expect((await points(url, 'x')).status).toBe(404);
    expect(await (await points(url, 'y')).text()).toBe(y);
    // A clean stop checkpoints everything the replay scored.
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    const { live, deleted } = idsIn(dataDir);
    const oldX = deleted.get('cpu{host="x"}')!;
    expect(oldX).toBeGreaterThan(0);
    expect(live.has('cpu{host="x"}')).toBe(false);
    expect(storeRows(dataDir, live.get('cpu{host="y"}')!)).toBeGreaterThan(0);
    expect(storeRows(dataDir, oldX)).toBe(0);
  }, 120_000);

  it('is deleted from store.db by the recovery when the crash came between the two steps', async () => {
    const dataDir = tmp();
    const config = validateConfig({
      dataDir,
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      engine: { checkpointIntervalMs: 50, detector: 'ewma' },
    });
    let s = await startEmbedded(config);
    expect((await post(s.url, 'x')).status).toBe(204);
    expect((await post(s.url, 'y')).status).toBe(204);
    await eventually(async () => s.engine.stats.pointsScored === 120);
    await s.close();
    const { live } = idsIn(dataDir);
    const x = live.get('cpu{host="x"}')!;
    const yId = live.get('cpu{host="y"}')!;
    expect(storeRows(dataDir, x)).toBeGreaterThan(0);

    // The first step only, as a crash right after it leaves things.
    const ingest = openSqliteIngest({ dataDir }, { commits: 'inline' });
    expect(ingest.deleteSeries([x], Date.now())).toEqual([x]);
    await ingest.close();

    const yBefore = storeRows(dataDir, yId);
    s = await startEmbedded(config);
    try {
      expect(storeRows(dataDir, x)).toBe(0);
      expect(storeRows(dataDir, yId)).toBe(yBefore);
      expect((await points(s.url, 'x')).status).toBe(404);
      expect(((await (await points(s.url, 'y')).json()) as { total: number }).total).toBe(60);
    } finally {
      await s.close();
    }
  }, 60_000);
});
