/**
 * Feedback on one anomaly, shared by the Anomalies and Incident pages: three buttons (anomaly /
 * not anomaly / expected) that POST /api/v1/anomalies/{id}/feedback, then show the effect: the
 * series' config `learned` (GET /api/v1/series/config), where a `feedback` post-rule keeps the
 * labels that change detection.
 */
import { getJson, qs, send } from './api.ts';
import { fill, fmtNum, fmtTime, h } from './dom.ts';
import type { Feedback, Label, SeriesConfig } from './types.ts';

export const LABELS: [Label, string][] = [
  ['anomaly', 'Anomaly'],
  ['not_anomaly', 'Not anomaly'],
  ['expected', 'Expected'],
];

/**
 * What the series' learned state says, in words, with the raw state below: the labels its
 * `feedback` post-rule holds, or why a label changes nothing. Also on the Configuration page.
 */
export function learnedText(config: SeriesConfig, stored: string): HTMLElement[] {
  const learned = config.learned ?? [];
  const fb = learned.find((s) => s.stage === 'feedback');
  const examples = (fb?.data as { examples?: { label: string; peakValue?: number }[] } | undefined)?.examples;
  return [
    fb === undefined
      ? h(
          'p',
          {},
          learned.length === 0
            ? `${stored}This series has no learned state yet (it appears once its pipeline has run).`
            : `${stored}This series' pipeline has no feedback stage, so detection does not change with labels.`,
        )
      : h(
          'p',
          {},
          `The feedback stage holds ${examples?.length ?? 0} label(s): `,
          (examples ?? []).map((e) => `${e.label} at ${fmtNum(e.peakValue)}`).join('; ') || 'none',
          '. Deviations like those labelled not anomaly or expected are no longer flagged.',
        ),
    h('details', {}, h('summary', {}, 'learned (raw)'), h('pre', {}, JSON.stringify(learned, null, 2))),
  ];
}

/** The effect of a label just given, on the Anomalies and Incident pages. */
function effect(config: SeriesConfig): HTMLElement {
  return h(
    'div',
    { 'data-testid': 'learned' },
    h('h2', {}, `Effect on ${config.series}`),
    ...learnedText(config, 'The label is stored. '),
    h('p', {}, h('a', { href: `#/config${qs({ series: config.series })}` }, 'Configure this series')),
  );
}

/** The anomaly ids labelled so far (of one series, or all), with their newest label. */
export async function givenLabels(series?: string): Promise<Map<string, Label>> {
  const r = await getJson<{ feedback: Feedback[] }>(`/api/v1/feedback${qs({ series, limit: 1000 })}`);
  return new Map(r.feedback.map((f) => [f.anomaly, f.label]));
}

/**
 * The three buttons for anomaly `a` (`given`: its label so far, pressed). A click stores the label,
 * presses its button, and shows the effect (or the error) in `effectEl` while `live()` holds.
 */
export function feedbackButtons(
  a: { id: string; series: string; start: number },
  given: Label | undefined,
  effectEl: HTMLElement,
  live: () => boolean,
): HTMLElement {
  const box = h('div', { class: 'feedback' });
  const label = async (value: Label) => {
    try {
      await send<Feedback>('POST', `/api/v1/anomalies/${encodeURIComponent(a.id)}/feedback`, {
        label: value,
      });
      for (const b of box.querySelectorAll('button')) {
        b.setAttribute('aria-pressed', String(b.dataset.label === value));
      }
      const config = await getJson<SeriesConfig>(`/api/v1/series/config${qs({ series: a.series })}`);
      if (live()) fill(effectEl, effect(config));
    } catch (err) {
      if (live()) fill(effectEl, h('p', { class: 'error', role: 'alert' }, String((err as Error).message)));
    }
  };
  for (const [value, text] of LABELS) {
    box.append(
      h(
        'button',
        {
          type: 'button',
          'data-label': value,
          'aria-pressed': String(given === value),
          'aria-label': `${text}: ${a.series} at ${fmtTime(a.start)}`,
          onclick: () => void label(value),
        },
        text,
      ),
    );
  }
  return box;
}
