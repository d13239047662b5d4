/**
 * A backtest as a picture, for people reading a tracking run or a model version: one panel per
 * series (a few), its values, its feedback labels as shaded spans (green `anomaly`, grey
 * `not_anomaly`/`expected`) and the starts of the runs the candidate raised as red marks. A
 * self-contained SVG string; pure.
 */
import type { SeriesBacktest, TrainingSeries } from './backtest.ts';

const WIDTH = 960;
const PANEL = 150;
const PAD = 8;
const TITLE = 16;

/** Which series a plot shows: labelled ones first (most labels first), then the first ones; at most `max`. */
export function plotSeries(series: readonly TrainingSeries[], max = 3): number[] {
  return series
    .map((s, i) => ({ i, labels: s.labels.length }))
    .sort((a, b) => b.labels - a.labels || a.i - b.i)
    .slice(0, max)
    .map((x) => x.i);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG of `title` over the series `which` of a backtest. */
export function backtestSvg(
  title: string,
  series: readonly TrainingSeries[],
  results: readonly SeriesBacktest[],
  which: readonly number[] = plotSeries(series),
): string {
  const height = TITLE + which.length * (PANEL + TITLE) + PAD;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${PAD}" y="13"><tspan font-weight="bold">${esc(title)}</tspan>  red: runs raised (start); green: labelled anomaly; grey: labelled not_anomaly/expected</text>`,
  ];
  which.forEach((idx, k) => {
    const s = series[idx]!;
    const runs = results[idx]?.runs ?? [];
    const top = TITLE + k * (PANEL + TITLE);
    const n = s.ts.length;
    parts.push(
      `<text x="${PAD}" y="${top + 13}">${esc(s.key)}: ${n} points, ${runs.length} runs raised, ${s.labels.length} labels</text>`,
    );
    if (n === 0) return;
    const y0 = top + TITLE;
    const t0 = s.ts[0]!;
    const span = Math.max(1, s.ts[n - 1]! - t0);
    const x = (t: number) => PAD + ((t - t0) / span) * (WIDTH - 2 * PAD);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of s.values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi > lo ? hi - lo : 1;
    const y = (v: number) => y0 + PANEL - 4 - ((v - lo) / range) * (PANEL - 8);
    parts.push(
      `<rect x="${PAD}" y="${y0}" width="${WIDTH - 2 * PAD}" height="${PANEL}" fill="none" stroke="#ccc"/>`,
    );
    for (const l of s.labels) {
      // At least 6 px wide, so a label on a short run stays visible beside the run's mark.
      let x1 = x(Math.max(l.start, t0));
      let x2 = x(Math.min(l.end, t0 + span));
      if (x2 - x1 < 6) {
        const mid = (x1 + x2) / 2;
        x1 = mid - 3;
        x2 = mid + 3;
      }
      const fill = l.label === 'anomaly' ? '#1b1' : '#999';
      parts.push(
        `<rect x="${x1.toFixed(1)}" y="${y0}" width="${(x2 - x1).toFixed(1)}" height="${PANEL}" fill="${fill}" fill-opacity="0.4"><title>${l.label}</title></rect>`,
      );
    }
    // One min and one max per pixel column keeps spikes visible at any length.
    const cols = WIDTH - 2 * PAD;
    const pts: string[] = [];
    let col = -1;
    let cmin = 0;
    let cmax = 0;
    const flush = () => {
      if (col < 0) return;
      pts.push(
        `${(PAD + col).toFixed(0)},${y(cmin).toFixed(1)}`,
        `${(PAD + col).toFixed(0)},${y(cmax).toFixed(1)}`,
      );
    };
    for (let i = 0; i < n; i++) {
      const c = Math.min(cols - 1, Math.floor(((s.ts[i]! - t0) / span) * cols));
      const v = s.values[i]!;
      if (c !== col) {
        flush();
        col = c;
        cmin = v;
        cmax = v;
      } else {
        if (v < cmin) cmin = v;
        if (v > cmax) cmax = v;
      }
    }
    flush();
    parts.push(`<polyline fill="none" stroke="#246" stroke-width="1" points="${pts.join(' ')}"/>`);
    for (const r of runs) {
      const rx = x(r.start).toFixed(1);
      parts.push(
        `<line x1="${rx}" y1="${y0}" x2="${rx}" y2="${y0 + PANEL}" stroke="#d22" stroke-width="1.5"><title>run ${r.start}..${r.end} peak ${r.peakScore.toFixed(3)}</title></line>`,
      );
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
