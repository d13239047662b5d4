/**
 * Overview: ingest rate, series count, open incidents and the latest anomalies, polled every few
 * seconds. The ingest rate is the change of `vigil_ingest_points_total` (all formats) in /metrics
 * between two polls: the process' rate, not a tenant's (/metrics is deployment-wide).
 */
import { ApiError, getJson, getText, qs } from './api.ts';
import { fill, fmtNum, fmtTime, h } from './dom.ts';
import { sumMetric } from './prom-text.ts';
import type { Anomaly, Incident, SeriesInfo } from './types.ts';

const POLL_MS = 5000;

function card(label: string, value: HTMLElement): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), value);
}

export function anomalyRows(anomalies: Anomaly[]): HTMLElement {
  if (anomalies.length === 0) return h('p', { class: 'muted' }, 'No anomalies yet.');
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, 'Series'),
        h('th', {}, 'Start'),
        h('th', {}, 'Peak'),
        h('th', {}, 'Expected'),
        h('th', {}, 'Score'),
      ),
    ),
    h(
      'tbody',
      {},
      ...anomalies.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/explore${qs({ match: a.series })}` }, a.series)),
          h(
            'td',
            {},
            h('a', { href: `#/anomalies${qs({ series: a.series })}` }, fmtTime(a.start)),
            a.open ? ' (open)' : '',
          ),
          h('td', { class: 'num' }, fmtNum(a.peakValue)),
          h('td', { class: 'num' }, fmtNum(a.peakExpected)),
          h('td', { class: 'num' }, fmtNum(a.peakScore)),
        ),
      ),
    ),
  );
}

export function overviewPage(root: HTMLElement): () => void {
  const rate = h('div', { class: 'value', 'data-testid': 'ingest-rate' }, '…');
  const series = h('div', { class: 'value', 'data-testid': 'series-count' }, '…');
  const incidents = h('div', { class: 'value', 'data-testid': 'open-incidents' }, '…');
  const recent = h('div', { 'data-testid': 'recent-anomalies' }, h('p', { class: 'muted' }, 'Loading…'));
  const updated = h('p', { class: 'muted', 'aria-live': 'polite' });
  fill(
    root,
    h('h1', {}, 'Overview'),
    h(
      'div',
      { class: 'cards' },
      card('Ingest rate (points/s)', rate),
      card('Series', series),
      card('Open incidents', incidents),
    ),
    h('h2', {}, 'Recent anomalies'),
    recent,
    updated,
  );
  let last: { at: number; total: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const poll = async () => {
    const [m, s, i, a] = await Promise.allSettled([
      getText('/metrics'),
      getJson<{ series: SeriesInfo[]; truncated: boolean }>('/api/v1/series?limit=100000'),
      getJson<{ incidents: Incident[] }>('/api/v1/incidents?status=open&limit=1000'),
      getJson<{ anomalies: Anomaly[] }>('/api/v1/anomalies?limit=10'),
    ]);
    if (stopped) return;
    if (m.status === 'fulfilled') {
      const total = sumMetric(m.value, 'vigil_ingest_points_total') ?? 0;
      const now = performance.now();
      if (last !== undefined && now > last.at)
        fill(rate, fmtNum(((total - last.total) * 1000) / (now - last.at)));
      else fill(rate, h('span', { class: 'muted' }, 'measuring…'));
      last = { at: now, total };
    } else fill(rate, '—');
    if (s.status === 'fulfilled') fill(series, `${s.value.series.length}${s.value.truncated ? '+' : ''}`);
    else fill(series, '—');
    if (i.status === 'fulfilled') fill(incidents, String(i.value.incidents.length));
    else fill(incidents, i.reason instanceof ApiError && i.reason.status === 404 ? 'n/a' : '—');
    if (a.status === 'fulfilled') fill(recent, anomalyRows(a.value.anomalies));
    else fill(recent, h('p', { class: 'error' }, String(a.reason)));
    fill(updated, `Updated ${fmtTime(Date.now())}; refreshes every ${POLL_MS / 1000} s.`);
    timer = setTimeout(() => void poll(), POLL_MS);
  };
  void poll();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
