/**
 * Anomalies with feedback: each anomaly (newest first, optionally of one series) has three
 * buttons, anomaly / not anomaly / expected (./feedback.ts); after a label is stored, the page
 * shows its effect on the series' learned state.
 */
import { scoredBy } from './anomaly-text.ts';
import { getJson, qs } from './api.ts';
import { fill, fmtNum, fmtTime, h } from './dom.ts';
import { feedbackButtons, givenLabels } from './feedback.ts';
import type { Anomaly } from './types.ts';

export function anomaliesPage(root: HTMLElement, params: URLSearchParams): () => void {
  const series = params.get('series') ?? undefined;
  const list = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const effectEl = h('div', { 'aria-live': 'polite' });
  fill(
    root,
    h('h1', {}, series === undefined ? 'Anomalies' : `Anomalies of ${series}`),
    series !== undefined ? h('p', {}, h('a', { href: '#/anomalies' }, 'All series')) : null,
    list,
    effectEl,
  );
  let stopped = false;

  void (async () => {
    try {
      const [anoms, given] = await Promise.all([
        getJson<{ anomalies: Anomaly[] }>(`/api/v1/anomalies${qs({ series, limit: 200 })}`),
        givenLabels(series),
      ]);
      if (stopped) return;
      if (anoms.anomalies.length === 0) {
        fill(list, h('p', { class: 'muted' }, 'No anomalies.'));
        return;
      }
      const rows = anoms.anomalies.map((a) => {
        const row = h(
          'tr',
          { 'data-anomaly': a.id },
          h('td', {}, h('a', { href: `#/explore${qs({ match: a.series })}` }, a.series)),
          h('td', {}, fmtTime(a.start), a.open ? ' (open)' : ''),
          h('td', { class: 'num' }, fmtNum(a.peakValue)),
          h('td', { class: 'num' }, fmtNum(a.peakExpected)),
          h('td', { class: 'num' }, fmtNum(a.peakScore)),
          h('td', {}, scoredBy(a)),
        );
        row.append(
          h(
            'td',
            {},
            feedbackButtons(a, given.get(a.id), effectEl, () => !stopped),
          ),
        );
        return row;
      });
      fill(
        list,
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Series', 'Start', 'Peak', 'Expected', 'Score', 'Scored by', 'Feedback'].map((t) =>
                h('th', {}, t),
              ),
            ),
          ),
          h('tbody', {}, ...rows),
        ),
      );
    } catch (err) {
      if (!stopped) fill(list, h('p', { class: 'error', role: 'alert' }, String((err as Error).message)));
    }
  })();
  return () => {
    stopped = true;
  };
}
