/**
 * "Try it" on the Configuration page: the edited pipeline replayed over the series' stored points
 * (POST /api/v1/series/replay), drawn on a chart of the replayed span (GET /api/v1/points for it,
 * at the chart's width) with two kinds of marker: the anomalies the pipeline would have raised and
 * those raised now, each at the drawn point nearest its start, and a legend with both counts.
 */
import uPlot from 'uplot';
import { getJson, qs, send } from './api.ts';
import { timeValueAxes } from './chart.ts';
import { fill, h } from './dom.ts';
import type { PointsAnswer } from './types.ts';

/** The answer of POST /api/v1/series/replay (the fields drawn). */
export interface ReplayAnswer {
  total: number;
  points: number;
  truncated: boolean;
  from?: number;
  to?: number;
  raised: number;
  anomalies: { start: number; end: number; peakScore: number }[];
  current: { start: number }[];
}

/** Marker colours; style.css repeats them for the legend's swatches. */
const WOULD = '#e8710a';
const NOW = '#b3261e';
const HEIGHT = 220;

/** Index of the point whose ts is nearest `t` (`ts` ascending, non-empty). */
export function nearest(ts: ArrayLike<number>, t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - ts[lo - 1]! < ts[lo]! - t ? lo - 1 : lo;
}

/** uPlot's columns: seconds, value, and the value at the point nearest each run's start, per kind. */
export function replayColumns(
  points: PointsAnswer['points'],
  would: readonly { start: number }[],
  now: readonly { start: number }[],
): uPlot.AlignedData {
  const ts = points.map((p) => p.ts);
  const mark = (runs: readonly { start: number }[]) => {
    const col: (number | null)[] = new Array(points.length).fill(null);
    if (points.length > 0)
      for (const r of runs) col[nearest(ts, r.start)] = points[nearest(ts, r.start)]!.value;
    return col;
  };
  return [ts.map((t) => t / 1000), points.map((p) => p.value), mark(would), mark(now)];
}

const anomalies = (k: number) => (k === 1 ? '1 anomaly' : `${k} anomalies`);

/** The sentence above the chart: "Would raise 3 anomalies over the last 2000 points; 7 raised now." */
export function summary(r: ReplayAnswer): string {
  const more = r.truncated ? ` (of ${r.total} in range)` : '';
  return `Would raise ${anomalies(r.raised)} over the last ${r.points} points${more}; ${r.current.length} raised now.`;
}

/** The panel; `run(body)` replays and draws, throwing the API's error for the form to place. */
export function tryItPanel(series: string): { el: HTMLElement; run(body: object): Promise<void> } {
  const status = h('p', { 'aria-live': 'polite', 'data-testid': 'tryit-summary' });
  const legend = h('ul', { class: 'legend', 'data-testid': 'tryit-legend', hidden: true });
  const plotEl = h('div', {
    role: 'img',
    'aria-label': `Replay of ${series}: values, anomalies the edited pipeline would raise and those raised now`,
  });
  const el = h(
    'section',
    { class: 'chart tryit', hidden: true },
    h('h3', {}, 'Try it'),
    status,
    legend,
    plotEl,
  );
  let plot: uPlot | undefined;
  // Colours from style.css (.swatch-would, .swatch-now): the CSP allows no style attribute.
  const swatch = (kind: string) => h('span', { class: `swatch swatch-${kind}`, 'aria-hidden': 'true' });
  return {
    el,
    async run(body) {
      fill(status, 'Replaying…');
      el.hidden = false;
      let r: ReplayAnswer;
      try {
        r = await send<ReplayAnswer>('POST', `/api/v1/series/replay${qs({ series })}`, body);
      } catch (err) {
        fill(status);
        el.hidden = true;
        throw err;
      }
      const width = Math.max(300, Math.floor(el.clientWidth || 800));
      const pts =
        r.from === undefined || r.to === undefined
          ? []
          : (
              await getJson<PointsAnswer>(
                `/api/v1/points${qs({ series, from: r.from, to: r.to + 1, maxPoints: width })}`,
              )
            ).points;
      fill(status, summary(r));
      fill(
        legend,
        h('li', { 'data-kind': 'would' }, swatch('would'), ` would raise: ${r.raised}`),
        h('li', { 'data-kind': 'now' }, swatch('now'), ` raised now: ${r.current.length}`),
      );
      legend.hidden = false;
      plot?.destroy();
      plot = new uPlot(
        {
          width,
          height: HEIGHT,
          legend: { show: false },
          axes: timeValueAxes(),
          cursor: { drag: { x: false, y: false } },
          series: [
            {},
            { label: 'value', stroke: '#0b5cad', width: 1.5 },
            {
              label: 'would raise',
              stroke: WOULD,
              paths: () => null,
              points: { show: true, size: 13, width: 3, fill: 'rgba(0,0,0,0)', stroke: WOULD },
            },
            {
              label: 'raised now',
              stroke: NOW,
              paths: () => null,
              points: { show: true, size: 7, fill: NOW, stroke: NOW },
            },
          ],
        },
        replayColumns(pts, r.anomalies, r.current),
        plotEl,
      );
    },
  };
}
