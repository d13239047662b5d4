/** The backtest drives the live Engine: the runs it collects are the anomalies the engine emits. */
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../../src/core/anomaly.ts';
import { builtinDetectors } from '../../../../src/core/detectors/index.ts';
import { backtest, type TrainingSeries } from '../../../../src/core/models/backtest.ts';
import { backtestSvg } from '../../../../src/core/models/backtest-plot.ts';
import { Engine } from '../../../../src/engine/engine.ts';

const MIN = 60_000;

function spiky(key: string, n: number, spikes: number[]): TrainingSeries {
  const values = Float64Array.from(
    { length: n },
    (_, i) => 10 + Math.sin(i / 7) + (spikes.includes(i) ? 60 : 0),
  );
  return {
    key,
    ts: Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * MIN),
    values,
    labels: [],
  };
}

const pipeline = { detector: { name: 'robust-z' }, calibration: { name: 'none' }, threshold: 0.9 };

describe('backtest', () => {
  it('collects the anomaly runs the engine raises, with their rows, series by series', () => {
    const s = [spiky('a', 2000, [1400, 1401, 1700]), spiky('b', 300, [250])];
    const engine = new Engine({ registry: builtinDetectors(), defaults: { pipeline }, allowedLatenessMs: 0 });
    const results = backtest(engine, s);
    // The same points through a second engine, anomalies recorded as the engine emits them.
    const direct = new Engine({ registry: builtinDetectors(), defaults: { pipeline }, allowedLatenessMs: 0 });
    const emitted = new Map<string, Anomaly>();
    const out = {
      point() {},
      anomaly: (a: Anomaly) => emitted.set(`${a.seriesId}-${a.start}`, a),
      rejected() {},
    };
    s.forEach((x, id) => {
      for (let i = 0; i < x.ts.length; i++) direct.process(id, x.ts[i]!, x.values[i]!, out);
    });
    const flat = results.flatMap((r, id) => r.runs.map((x) => ({ id, start: x.start, end: x.end })));
    expect(flat).toEqual([...emitted.values()].map((a) => ({ id: a.seriesId, start: a.start, end: a.end })));
    expect(results[0]!.scored).toBe(2000);
    const spike = results[0]!.runs.find((r) => r.startRow === 1400);
    expect(spike).toMatchObject({ startRow: 1400, endRow: 1401, start: s[0]!.ts[1400], end: s[0]!.ts[1401] });
    expect(results[0]!.runs.some((r) => r.startRow === 1700)).toBe(true);
    expect(results[1]!.scored).toBe(300);
  });

  it('renders a plot with the series, its labels and the runs', () => {
    const s = {
      ...spiky('cpu{host="a"}', 600, [400]),
      labels: [{ label: 'anomaly' as const, start: 0, end: 1 }],
    };
    const svg = backtestSvg(
      'm: robust-z',
      [s],
      [
        {
          runs: [{ start: s.ts[400]!, end: s.ts[400]!, startRow: 400, endRow: 400, peakScore: 1 }],
          scored: 600,
        },
      ],
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('cpu{host=&quot;a&quot;}: 600 points, 1 runs raised, 1 labels');
    expect(svg).toContain('<polyline');
    expect(svg).toContain('stroke="#d22"');
  });
});
