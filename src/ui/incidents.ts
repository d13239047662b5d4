/**
 * Incidents (`#/incidents`, one with `?id=`): the list, newest first, and one incident's members on
 * one time axis (a bar per anomaly from its start to its end, coloured by severity) with the
 * root-cause ranking and its reasons, all from GET /api/v1/incidents[/{id}], and feedback on each
 * member (./feedback.ts) with its effect on the series' learned state.
 */
import { getJson, qs, send } from './api.ts';
import { fill, fmtNum, fmtTime, h } from './dom.ts';
import { feedbackButtons, givenLabels, LABELS } from './feedback.ts';
import type { Label } from './types.ts';

interface Member {
  id: string;
  seriesKey: string;
  start: number;
  end: number;
  open: boolean;
  peakScore: number;
  peakValue: number;
  severity: string;
}

interface Incident {
  id: string;
  rule: string;
  status: 'open' | 'resolved';
  severity: string;
  startsAt: number;
  lastActivityAt: number;
  members: Member[];
  droppedMembers: number;
  rootCauses: { seriesKey: string; rank: number; score: number; reasons: string[] }[];
}

function list(incidents: Incident[]): HTMLElement {
  if (incidents.length === 0)
    return h('p', { class: 'muted' }, 'No incidents. Alert rules (Configuration) open them.');
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Started', 'Rule', 'Status', 'Severity', 'Members', 'Likely root cause'].map((t) =>
          h('th', {}, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      ...incidents.map((i) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/incidents${qs({ id: i.id })}` }, fmtTime(i.startsAt))),
          h('td', {}, i.rule),
          h('td', {}, i.status),
          h('td', {}, i.severity),
          h('td', { class: 'num' }, i.members.length + i.droppedMembers),
          h('td', {}, i.rootCauses[0]?.seriesKey ?? '—'),
        ),
      ),
    ),
  );
}

/** The members as bars on one time axis: left and width in percent of [first start, last end]. */
function timeline(members: Member[]): HTMLElement {
  if (members.length === 0) return h('p', { class: 'muted' }, 'No members kept.');
  const from = Math.min(...members.map((m) => m.start));
  const to = Math.max(...members.map((m) => m.end));
  const span = Math.max(1, to - from);
  const rows = members.map((m) => {
    const left = ((m.start - from) / span) * 100;
    const width = ((m.end - m.start) / span) * 100;
    const bar = h('span', {
      class: `member-bar severity-${m.severity}`,
      title: `${fmtTime(m.start)} → ${fmtTime(m.end)}, peak ${fmtNum(m.peakValue)} (score ${fmtNum(m.peakScore)})`,
    });
    // Through the CSSOM: the page's CSP refuses style attributes.
    bar.style.left = `${left.toFixed(3)}%`;
    bar.style.width = `${width.toFixed(3)}%`;
    return h(
      'div',
      { class: 'member', 'data-member': m.id },
      h('a', { class: 'member-series', href: `#/explore${qs({ match: m.seriesKey })}` }, m.seriesKey),
      h('div', { class: 'member-track' }, bar),
    );
  });
  return h(
    'div',
    { class: 'timeline', role: 'group', 'aria-label': 'Members on one time axis' },
    ...rows,
    h('div', { class: 'timeline-axis muted' }, h('span', {}, fmtTime(from)), h('span', {}, fmtTime(to))),
  );
}

/** Each member with its feedback buttons; a label's effect shows in `effectEl`. */
function feedback(
  members: Member[],
  given: Map<string, Label>,
  effectEl: HTMLElement,
  live: () => boolean,
): HTMLElement {
  return h(
    'table',
    { 'data-testid': 'member-feedback' },
    h(
      'thead',
      {},
      h('tr', {}, ...['Series', 'Start', 'Peak', 'Score', 'Feedback'].map((t) => h('th', {}, t))),
    ),
    h(
      'tbody',
      {},
      ...members.map((m) =>
        h(
          'tr',
          { 'data-anomaly': m.id },
          h('td', {}, m.seriesKey),
          h('td', {}, fmtTime(m.start), m.open ? ' (open)' : ''),
          h('td', { class: 'num' }, fmtNum(m.peakValue)),
          h('td', { class: 'num' }, fmtNum(m.peakScore)),
          h(
            'td',
            {},
            feedbackButtons(
              { id: m.id, series: m.seriesKey, start: m.start },
              given.get(m.id),
              effectEl,
              live,
            ),
          ),
        ),
      ),
    ),
  );
}

/**
 * One label for every member at once (POST /api/v1/incidents/{id}/feedback): presses that label
 * in each member's row of `table` and says how many were labelled.
 */
function labelAll(i: Incident, table: HTMLElement, effectEl: HTMLElement, live: () => boolean): HTMLElement {
  const label = async (value: Label, text: string) => {
    try {
      const r = await send<{ feedback: unknown[] }>(
        'POST',
        `/api/v1/incidents/${encodeURIComponent(i.id)}/feedback`,
        { label: value },
      );
      for (const b of table.querySelectorAll<HTMLButtonElement>('button[data-label]')) {
        b.setAttribute('aria-pressed', String(b.dataset.label === value));
      }
      if (live())
        fill(
          effectEl,
          h('p', { 'data-testid': 'labelled-all' }, `${r.feedback.length} member(s) labelled ${text}.`),
        );
    } catch (err) {
      if (live()) fill(effectEl, h('p', { class: 'error', role: 'alert' }, String((err as Error).message)));
    }
  };
  return h(
    'div',
    { class: 'feedback', role: 'group', 'aria-label': 'Label every member' },
    ...LABELS.map(([value, text]) =>
      h(
        'button',
        { type: 'button', 'data-all': value, onclick: () => void label(value, text) },
        `All: ${text}`,
      ),
    ),
  );
}

function detail(i: Incident, given: Map<string, Label>, live: () => boolean): HTMLElement {
  const effectEl = h('div', { 'aria-live': 'polite' });
  const members = i.members.length === 0 ? null : feedback(i.members, given, effectEl, live);
  return h(
    'div',
    {},
    h('p', {}, h('a', { href: '#/incidents' }, 'All incidents')),
    h(
      'p',
      {},
      `Rule ${i.rule}, ${i.status}, ${i.severity}; started ${fmtTime(i.startsAt)}, last activity ${fmtTime(i.lastActivityAt)}.`,
      i.droppedMembers > 0 ? ` ${i.droppedMembers} more members were not kept.` : '',
    ),
    h('h2', {}, 'Members'),
    timeline(i.members),
    h('h2', {}, 'Root-cause ranking'),
    i.rootCauses.length === 0
      ? h('p', { class: 'muted' }, 'No ranking yet.')
      : h(
          'table',
          { 'data-testid': 'root-causes' },
          h('thead', {}, h('tr', {}, ...['Rank', 'Series', 'Score', 'Why'].map((t) => h('th', {}, t)))),
          h(
            'tbody',
            {},
            ...i.rootCauses.map((c) =>
              h(
                'tr',
                {},
                h('td', { class: 'num' }, c.rank),
                h('td', {}, c.seriesKey),
                h('td', { class: 'num' }, fmtNum(c.score)),
                h('td', {}, c.reasons.join('; ')),
              ),
            ),
          ),
        ),
    h('h2', {}, 'Feedback on members'),
    members ?? h('p', { class: 'muted' }, 'No members kept.'),
    members === null ? null : labelAll(i, members, effectEl, live),
    effectEl,
  );
}

export function incidentsPage(root: HTMLElement, params: URLSearchParams): () => void {
  const id = params.get('id');
  const body = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  fill(root, h('h1', {}, id === null ? 'Incidents' : 'Incident'), body);
  let stopped = false;
  const show = (el: HTMLElement) => {
    if (!stopped) fill(body, el);
  };
  const failed = (err: unknown) =>
    show(h('p', { class: 'error', role: 'alert' }, String((err as Error).message)));
  if (id === null) {
    getJson<{ incidents: Incident[] }>('/api/v1/incidents?limit=100').then(
      (r) => show(list(r.incidents)),
      failed,
    );
  } else {
    Promise.all([getJson<Incident>(`/api/v1/incidents/${encodeURIComponent(id)}`), givenLabels()]).then(
      ([i, given]) => show(detail(i, given, () => !stopped)),
      failed,
    );
  }
  return () => {
    stopped = true;
  };
}
