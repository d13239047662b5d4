/**
 * A chart over a long live-ingested history: `npx node bench/chart-history.ts [points] [runs]
 * [--unmerged]` (default 3,153,600 points: a year at one point per 10 s; 5 timed reads per
 * range). Prints figures and writes bench/results/chart-history[-unmerged].json; never gates on
 * time. `--unmerged`: no compaction, so no merging either: the chunks as checkpoints wrote them.
 *
 * Live ingest stores one small chunk per series per checkpoint; with a point every 10 s and a
 * checkpoint every 5 s that is one point per chunk. This writes such a history the way the engine
 * thread's store does (SqliteStoreDb, one commit per point, the default compaction and the chunk
 * merging that follows it), then reads ranges of it the way GET /api/v1/points does in `vigil
 * serve` (app/downsampled-read.ts: rollups where they apply, rows otherwise; maxPoints 1,200),
 * timing the read and counting the chunks and rollups there are.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../src/adapters/sqlite/database.ts';
import { SqliteStoreDb } from '../src/adapters/sqlite/store-db.ts';
import { readDownsampled } from '../src/app/downsampled-read.ts';
import { PointColumns } from '../src/core/point-columns.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UNMERGED = process.argv.includes('--unmerged');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const POINTS = Number(args[0] ?? 3_153_600);
const RUNS = Number(args[1] ?? 5);
const STEP = 10_000;
const LOAD = loadavg();
const round = (v: number) => Math.round(v * 10) / 10;

const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-history-'));
const path = join(dir, 'store.db');
const store = new SqliteStoreDb(openDatabase(path, 'normal'), {
  kind: 'inline',
  ...(UNMERGED ? { compactAt: Number.POSITIVE_INFINITY } : {}),
});
try {
  const started = performance.now();
  for (let i = 0; i < POINTS; i++) {
    const c = new PointColumns(1);
    const value = 10 + 3 * Math.sin(i / 8640) + ((i * 7919) % 13) / 10;
    c.push({
      ts: i * STEP,
      value,
      score: 0.1,
      expected: value,
      lower: value - 1,
      upper: value + 1,
      anomalous: i % 100_000 === 7,
    });
    await store.commit({ offset: i + 1, points: new Map([[1, c]]), anomalies: [], states: new Map() });
    if (i % 500_000 === 499_999) console.log(`  ${i + 1} points written`);
  }
  const writeS = (performance.now() - started) / 1000;
  const db = new DatabaseSync(path, { readOnly: true });
  const count = (sql: string) => Number(db.prepare(sql).get()!.n);
  const chunks = count('SELECT COUNT(*) AS n FROM chunks');
  const rollups = count('SELECT COUNT(*) AS n FROM chunk_rollups');
  const recent = count('SELECT COUNT(*) AS n FROM chunk_recent');
  db.close();
  console.log(
    `${POINTS} points, one per checkpoint, written in ${writeS.toFixed(1)} s: ${chunks} chunks (${recent} not yet compacted), ${rollups} rollups`,
  );
  const end = POINTS * STEP;
  const ranges = [
    { name: 'whole history', from: 0, to: end },
    { name: 'last 30 days', from: end - 30 * 86_400_000, to: end },
    { name: 'last day', from: end - 86_400_000, to: end },
  ];
  const results = [];
  for (const r of ranges) {
    const ms: number[] = [];
    let total = 0;
    let kept = 0;
    for (let k = 0; k < RUNS; k++) {
      const t = performance.now();
      const ans = await readDownsampled(store, new PointColumns(1), 1, r.from, r.to, 1200);
      ms.push(performance.now() - t);
      total = ans.total;
      kept = ans.kept.length;
    }
    ms.sort((a, b) => a - b);
    const p50 = round(ms[Math.floor(ms.length / 2)]!);
    console.log(
      `${r.name}: ${total} points in range, ${kept} kept, read p50 ${p50} ms (min ${round(ms[0]!)})`,
    );
    results.push({ range: r.name, points: total, kept, readMsP50: p50, readMsMin: round(ms[0]!) });
  }
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(
    join(ROOT, `bench/results/chart-history${UNMERGED ? '-unmerged' : ''}.json`),
    `${JSON.stringify({ date: new Date().toISOString(), unmerged: UNMERGED, loadAverage1m: round(LOAD[0]!), points: POINTS, writeSeconds: round(writeS), chunks, recent, rollups, ranges: results }, null, 2)}\n`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
