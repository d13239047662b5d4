/**
 * The replay behind "try it" (src/app/replay.ts): in its worker thread it raises the runs the
 * backtest raises in-process with the live engine; a budget too short for a worker to even start
 * is VIGIL_ERR_QUERY_TIMEOUT, and so is an abort (the client gone); more replays than
 * REPLAY_CONCURRENCY at once all answer.
 */
import { describe, expect, it } from 'vitest';
import { REPLAY_CONCURRENCY, replayPoints } from '../../../src/app/replay.ts';
import { builtinDetectors } from '../../../src/core/detectors/index.ts';
import { backtest } from '../../../src/core/models/backtest.ts';
import { pipelinesOf } from '../../../src/core/pipeline/pipelines.ts';
import type { ScoredPoint } from '../../../src/core/point.ts';
import { Engine } from '../../../src/engine/engine.ts';

const registry = builtinDetectors();
const pipeline = pipelinesOf(registry).resolve({
  detector: { name: 'ewma' },
  calibration: { name: 'none' },
  threshold: 0.3,
});
const points: ScoredPoint[] = Array.from({ length: 3000 }, (_, i) => ({
  ts: 1_700_000_000_000 + i * 1000,
  value: i % 500 === 499 ? 80 : 10 + Math.sin(i / 7),
  score: 0,
  expected: Number.NaN,
  lower: Number.NaN,
  upper: Number.NaN,
  anomalous: false,
}));

describe('replayPoints', () => {
  it('raises in its worker what the backtest raises in-process', async () => {
    const engine = new Engine({ registry, defaults: { pipeline }, allowedLatenessMs: 0 });
    const [want] = backtest(engine, [
      {
        key: 'x',
        ts: Float64Array.from(points, (p) => p.ts),
        values: Float64Array.from(points, (p) => p.value),
        labels: [],
      },
    ]);
    const got = await replayPoints(points, pipeline, 0, 60_000);
    expect(got.scored).toBe(points.length);
    expect(want!.runs.length).toBeGreaterThan(0);
    expect(got.anomalies).toEqual(
      want!.runs.map((r) => ({
        start: r.start,
        end: r.end,
        peakScore: r.peakScore,
        points: r.endRow - r.startRow + 1,
      })),
    );
  }, 60_000);

  it('a budget spent is VIGIL_ERR_QUERY_TIMEOUT, and the slot is free again after', async () => {
    await expect(replayPoints(points, pipeline, 0, 1)).rejects.toMatchObject({
      code: 'VIGIL_ERR_QUERY_TIMEOUT',
    });
    const runs = await Promise.all(
      Array.from({ length: REPLAY_CONCURRENCY + 2 }, () => replayPoints(points, pipeline, 0, 60_000)),
    );
    for (const r of runs) expect(r.scored).toBe(points.length);
  }, 60_000);

  it('an abort (the client gone) stops the replay', async () => {
    const left = new AbortController();
    const replay = replayPoints(points, pipeline, 0, 60_000, left.signal);
    left.abort();
    await expect(replay).rejects.toMatchObject({
      code: 'VIGIL_ERR_QUERY_TIMEOUT',
      message: 'the client closed the connection',
    });
    // Its slot is free: as many replays as slots still start and answer.
    const runs = await Promise.all(
      Array.from({ length: REPLAY_CONCURRENCY }, () => replayPoints(points, pipeline, 0, 60_000)),
    );
    for (const r of runs) expect(r.scored).toBe(points.length);
  }, 60_000);
});
