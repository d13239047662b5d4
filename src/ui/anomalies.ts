/**
 * Anomalies with feedback: each anomaly (newest first, optionally of one series) has three
 * buttons, anomaly / not anomaly / expected, that POST /api/v1/anomalies/{id}/feedback. After a
 * label is stored, the page shows its effect: the series' config `learned` (GET
 * /api/v1/series/config), where a `feedback` post-rule keeps the labels that change detection.
 */
import { scoredBy } from './anomaly-text.ts';
import { getJson, qs, send } from './api.ts';
import { fill, fmtNum, fmtTime, h } from './dom.ts';
import type { Anomaly, Feedback, Label, SeriesConfig } from './types.ts';

const LABELS: [Label, string][] = [
  ['anomaly', 'Anomaly'],
  ['not_anomaly', 'Not anomaly'],
  ['expected', 'Expected'],
];

/** What the series' learned state says, in words, with the raw state below. */
function effect(config: SeriesConfig): HTMLElement {
  const learned = config.learned ?? [];
  const fb = learned.find((s) => s.stage === 'feedback');
  const examples = (fb?.data as { examples?: { label: string; peakValue?: number }[] } | undefined)?.examples;
  return h(
    'div',
    { 'data-testid': 'learned' },
    h('h2', {}, `Effect on ${config.series}`),
    fb === undefined
      ? h(
          'p',
          {},
          learned.length === 0
            ? 'The label is stored. This series has no learned state yet (it appears once its pipeline has run).'
            : "The label is stored. This series' pipeline has no feedback stage, so detection does not change with it.",
        )
      : h(
          'p',
          {},
          `The feedback stage holds ${examples?.length ?? 0} label(s): `,
          (examples ?? []).map((e) => `${e.label} at ${fmtNum(e.peakValue)}`).join('; ') || 'none',
          '. Deviations like those labelled not anomaly or expected are no longer flagged.',
        ),
    h('details', {}, h('summary', {}, 'learned (raw)'), h('pre', {}, JSON.stringify(learned, null, 2))),
    h('p', {}, h('a', { href: `#/config${qs({ series: config.series })}` }, 'Configure this series')),
  );
}

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

  const label = async (a: Anomaly, value: Label, row: HTMLElement) => {
    try {
      await send<Feedback>('POST', `/api/v1/anomalies/${encodeURIComponent(a.id)}/feedback`, {
        label: value,
      });
      for (const b of row.querySelectorAll('button')) {
        b.setAttribute('aria-pressed', String(b.dataset.label === value));
      }
      const config = await getJson<SeriesConfig>(`/api/v1/series/config${qs({ series: a.series })}`);
      if (!stopped) fill(effectEl, effect(config));
    } catch (err) {
      if (!stopped) fill(effectEl, h('p', { class: 'error', role: 'alert' }, String((err as Error).message)));
    }
  };

  void (async () => {
    try {
      const [anoms, labels] = await Promise.all([
        getJson<{ anomalies: Anomaly[] }>(`/api/v1/anomalies${qs({ series, limit: 200 })}`),
        getJson<{ feedback: Feedback[] }>(`/api/v1/feedback${qs({ series, limit: 1000 })}`),
      ]);
      if (stopped) return;
      const given = new Map(labels.feedback.map((f) => [f.anomaly, f.label]));
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
        const buttons = LABELS.map(([value, text]) =>
          h(
            'button',
            {
              type: 'button',
              'data-label': value,
              'aria-pressed': String(given.get(a.id) === value),
              'aria-label': `${text}: ${a.series} at ${fmtTime(a.start)}`,
              onclick: () => void label(a, value, row),
            },
            text,
          ),
        );
        row.append(h('td', {}, h('div', { class: 'feedback' }, ...buttons)));
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
