/**
 * Series explorer: a selector with completion, the series it matches (tick up to a few), and one
 * chart per ticked series on a shared time range. Zooming (drag on a chart), panning and zooming
 * out change that range for every chart, and each chart asks GET /api/v1/points for it with
 * `maxPoints` = its pixel width, so the server's downsampling decides what is drawn.
 */
import { ApiError, getJson, getJsonFrom, qs } from './api.ts';
import { type Chart, createChart } from './chart.ts';
import { buildIndex, type SelectorIndex, suggest } from './completion.ts';
import { fill, fmtTime, h } from './dom.ts';
import { takeEarly } from './early.ts';
import type { PointsAnswer, SeriesInfo } from './types.ts';

/** Charts drawn at once at most: each is one request per zoom step. */
const MAX_CHARTS = 6;

interface Shown {
  key: string;
  chart: Chart;
  status: HTMLElement;
  abort?: AbortController;
}

export function explorerPage(root: HTMLElement, params: URLSearchParams): () => void {
  const input = h('input', {
    id: 'selector',
    type: 'search',
    list: 'selector-completions',
    placeholder: 'cpu{host="a"}',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const datalist = h('datalist', { id: 'selector-completions' });
  const matches = h('div', { class: 'matches', role: 'group', 'aria-label': 'Matching series' });
  const message = h('p', { class: 'muted', 'aria-live': 'polite' });
  const rangeText = h('span', { class: 'muted', 'data-testid': 'range' });
  const charts = h('div', {});
  let index: SelectorIndex = { metrics: [], labels: new Map() };
  let shown: Shown[] = [];
  /** The requested range (undefined: all of it) and the extent of what came back. */
  let range: { from: number; to: number } | undefined;
  let extent: { from: number; to: number } | undefined;

  const setRange = (r: { from: number; to: number } | undefined) => {
    range = r;
    void reloadAll();
  };
  const current = () => range ?? extent;
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('button', { type: 'button', onclick: () => pan(-0.5) }, '◀ Earlier'),
    h('button', { type: 'button', onclick: () => pan(0.5) }, 'Later ▶'),
    h('button', { type: 'button', onclick: () => zoomOut() }, 'Zoom out'),
    h('button', { type: 'button', onclick: () => setRange(undefined) }, 'All'),
    rangeText,
    h('span', { class: 'muted' }, 'Drag across a chart to zoom in.'),
  );
  const pan = (fraction: number) => {
    const r = current();
    if (r === undefined) return;
    const shift = Math.round((r.to - r.from) * fraction);
    setRange({ from: r.from + shift, to: r.to + shift });
  };
  const zoomOut = () => {
    const r = current();
    if (r === undefined) return;
    const half = r.to - r.from;
    setRange({ from: r.from - Math.round(half / 2), to: r.to + Math.round(half / 2) });
  };

  const form = h(
    'form',
    { class: 'search', role: 'search' },
    h('label', { for: 'selector' }, 'Selector'),
    input,
    datalist,
    h('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void search(input.value.trim());
  });
  input.addEventListener('input', () => {
    fill(datalist, ...suggest(input.value, index).map((s) => h('option', { value: s })));
  });
  fill(root, h('h1', {}, 'Series'), form, message, matches, toolbar, charts);

  const clearCharts = () => {
    for (const s of shown) {
      s.abort?.abort();
      s.chart.destroy();
    }
    shown = [];
    fill(charts);
  };

  async function load(s: Shown): Promise<void> {
    s.abort?.abort();
    const abort = new AbortController();
    s.abort = abort;
    const path = `/api/v1/points${qs({ series: s.key, maxPoints: s.chart.width(), from: range?.from, to: range?.to })}`;
    // The whole series' first chart may be the request the page shell already sent (early.ts).
    const early = range === undefined ? takeEarly(s.key, s.chart.width()) : undefined;
    try {
      const ans = await (early !== undefined
        ? getJsonFrom<PointsAnswer>(early)
        : getJson<PointsAnswer>(path, abort.signal));
      if (abort.signal.aborted) return;
      s.chart.draw(ans.points);
      // A User Timing mark per drawn chart: bench/ui-load.ts reads navigation → first chart from it.
      performance.mark('vigil:chart-drawn', { detail: { series: s.key, points: ans.points.length } });
      const anomalous = ans.points.filter((p) => p.anomalous).length;
      fill(s.status, `${ans.total} points in range, ${ans.points.length} drawn, ${anomalous} anomalous.`);
      const first = ans.points[0];
      const last = ans.points[ans.points.length - 1];
      if (range === undefined && first !== undefined && last !== undefined) {
        extent = {
          from: Math.min(extent?.from ?? first.ts, first.ts),
          to: Math.max(extent?.to ?? 0, last.ts + 1),
        };
      }
      const r = current();
      fill(rangeText, r === undefined ? '' : `${fmtTime(r.from)} → ${fmtTime(r.to)}`);
    } catch (err) {
      if (!abort.signal.aborted) fill(s.status, h('span', { class: 'error' }, String(err)));
    }
  }

  async function reloadAll(): Promise<void> {
    if (range === undefined) extent = undefined;
    await Promise.all(shown.map(load));
  }

  function showCharts(keys: string[]): void {
    clearCharts();
    range = undefined;
    extent = undefined;
    for (const key of keys) {
      const chart = createChart(key, 'explore', (from, to) => setRange({ from, to }));
      const status = h('p', { class: 'muted' });
      chart.el.append(status);
      charts.append(chart.el);
      // Created outside the page it had no width (800 assumed): now its request asks for its own.
      chart.fit();
      shown.push({ key, chart, status });
    }
    void reloadAll();
  }

  async function search(selector: string): Promise<void> {
    history.replaceState(null, '', `#/explore${qs({ match: selector || undefined })}`);
    try {
      const ans = await getJson<{ series: SeriesInfo[]; truncated: boolean }>(
        `/api/v1/series${qs({ match: selector || undefined, limit: 200 })}`,
      );
      fill(message, `${ans.series.length}${ans.truncated ? '+' : ''} series match.`);
      const boxes = ans.series.map((s, i) =>
        h('input', { type: 'checkbox', id: `series-${i}`, value: s.key, checked: i < 3 }),
      );
      const selected = () => boxes.filter((b) => b.checked).map((b) => b.value);
      fill(
        matches,
        ...ans.series.map((s, i) => h('span', {}, boxes[i]!, h('label', { for: `series-${i}` }, ' ', s.key))),
      );
      for (const b of boxes) {
        b.addEventListener('change', () => {
          if (selected().length > MAX_CHARTS) b.checked = false;
          showCharts(selected());
        });
      }
      // The chart started before the search (see below) stays when it is what the search selects.
      const keys = selected();
      if (shown.length !== keys.length || shown.some((s, i) => s.key !== keys[i])) showCharts(keys);
    } catch (err) {
      const field = err instanceof ApiError && err.field !== undefined ? ` (${err.field})` : '';
      fill(
        message,
        h('span', { class: 'error', role: 'alert' }, `${String((err as Error).message)}${field}`),
      );
    }
  }

  void getJson<{ series: SeriesInfo[] }>('/api/v1/series?limit=10000').then(
    (ans) => {
      index = buildIndex(ans.series);
    },
    () => undefined,
  );
  const match = params.get('match');
  if (match !== null) {
    input.value = match;
    // A selector with labels and no regex or negation may be a series' key: its chart starts
    // loading now, beside the search, instead of one round trip later (the search replaces it
    // when it selects other series; a bare metric name is left to the search).
    if (/^[^{]+\{.+\}$/.test(match) && !/[=!]~|!=/.test(match)) showCharts([match]);
    void search(match);
  }
  return clearCharts;
}
