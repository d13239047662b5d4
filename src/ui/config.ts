/**
 * Configuration: one series' pipeline (PUT /api/v1/series/config; "Try it" replays the edited one
 * first, ./tryit.ts), the tenant's alert rules and silences (list and create). The forms send what the API takes and show its 400s at the field
 * they name, so the schema's validation is the one the user sees.
 */
import { getJson, qs, send } from './api.ts';
import { fill, fmtTime, h } from './dom.ts';
import { learnedText } from './feedback.ts';
import { clearErrors, type Field, field, jsonOf, showApiError } from './form.ts';
import { tryItPanel } from './tryit.ts';
import type { SeriesConfig, SeriesInfo } from './types.ts';

interface Pipeline {
  detector: { name: string; params?: Record<string, unknown> };
  calibration?: unknown;
  threshold?: number;
  postRules?: unknown[];
  afterglow?: unknown;
}

interface Rule {
  name: string;
  match: string;
  severity: string;
  minScore: number;
  enabled: boolean;
}

interface Silence {
  id: string;
  match: string;
  startsAt: number;
  endsAt: number;
  kind: string;
  comment: string;
}

const json = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 2));
const textarea = (rows = 5) => h('textarea', { rows, spellcheck: 'false' });

function pipelineSection(series: string): HTMLElement {
  const detector = field('pipeline.detector.name', 'Detector', h('select', {}));
  const params = field('pipeline.detector.params', 'Detector params (JSON)', textarea());
  const threshold = field(
    'pipeline.threshold',
    'Threshold',
    h('input', { type: 'number', step: 'any' }),
    'calibrated score ≥ threshold is anomalous (0..1)',
  );
  const calibration = field('pipeline.calibration', 'Calibration (JSON)', textarea(2));
  const postRules = field('pipeline.postRules', 'Post-rules (JSON array)', textarea(4));
  const afterglow = field(
    'pipeline.afterglow',
    'Afterglow (JSON)',
    textarea(1),
    'scores held under the threshold after a high one, e.g. {"level": 0.2, "tau": 100}; {"level": 0}: none; empty: the detector\'s default',
  );
  const fields: Field[] = [detector, params, threshold, calibration, postRules, afterglow];
  const general = h('div', { class: 'error' });
  const saved = h('p', { class: 'muted', 'aria-live': 'polite' });
  // One replay at a time: a second click while one runs would race it to the chart.
  const tryButton = h('button', { type: 'button', onclick: () => tryIt() }, 'Try it');
  const form = h(
    'form',
    { class: 'config-form', 'aria-label': 'Pipeline' },
    ...fields.map((f) => f.row),
    h('div', { class: 'form-buttons' }, h('button', { type: 'submit' }, 'Save pipeline'), tryButton),
    general,
    saved,
  );
  const panel = tryItPanel(series);
  // What people's labels taught this series' pipeline (its feedback stage), below the form.
  const learned = h('div', { 'data-testid': 'config-learned' });
  const load = async () => {
    const [cfg, dets] = await Promise.all([
      getJson<SeriesConfig & { pipeline: Pipeline }>(`/api/v1/series/config${qs({ series })}`),
      getJson<{ detectors: string[] }>('/api/v1/detectors'),
    ]);
    const p = cfg.pipeline;
    const names = dets.detectors.includes(p.detector.name)
      ? dets.detectors
      : [p.detector.name, ...dets.detectors];
    fill(
      detector.control,
      ...names.map((n) => h('option', { value: n, selected: n === p.detector.name }, n)),
    );
    params.control.value = json(p.detector.params);
    threshold.control.value = p.threshold === undefined ? '' : String(p.threshold);
    calibration.control.value = json(p.calibration);
    postRules.control.value = json(p.postRules);
    afterglow.control.value = json(p.afterglow);
    fill(learned, h('h3', {}, 'Learned from feedback'), ...learnedText(cfg, ''));
  };
  /** The pipeline as edited; a field whose JSON does not parse shows it and throws SyntaxError. */
  const edited = (): Record<string, unknown> => {
    const detParams = jsonOf(params);
    const pipeline: Record<string, unknown> = {
      detector: {
        name: detector.control.value,
        ...(detParams !== undefined ? { params: detParams } : {}),
      },
    };
    if (threshold.control.value !== '') pipeline.threshold = Number(threshold.control.value);
    const cal = jsonOf(calibration);
    if (cal !== undefined) pipeline.calibration = cal;
    const rules = jsonOf(postRules);
    if (rules !== undefined) pipeline.postRules = rules;
    const glow = jsonOf(afterglow);
    if (glow !== undefined) pipeline.afterglow = glow;
    return pipeline;
  };
  const tryIt = () => {
    clearErrors(fields, general);
    fill(saved);
    void (async () => {
      tryButton.disabled = true;
      try {
        await panel.run({ pipeline: edited() });
      } catch (err) {
        if (!(err instanceof SyntaxError)) showApiError(err, fields, general);
      } finally {
        tryButton.disabled = false;
      }
    })();
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(fields, general);
    fill(saved);
    void (async () => {
      try {
        await send('PUT', `/api/v1/series/config${qs({ series })}`, { pipeline: edited() });
        fill(saved, `Saved at ${fmtTime(Date.now())}.`);
      } catch (err) {
        if (!(err instanceof SyntaxError)) showApiError(err, fields, general);
      }
    })();
  });
  load().catch((err: unknown) => showApiError(err, fields, general));
  return h('section', {}, h('h2', {}, `Pipeline of ${series}`), form, panel.el, learned);
}

function rulesSection(): HTMLElement {
  const list = h('div', {});
  const name = field('name', 'Name', h('input', { type: 'text' }));
  const match = field('match', 'Series selector', h('input', { type: 'text' }));
  const minScore = field(
    'minScore',
    'Least peak score',
    h('input', { type: 'number', step: 'any', value: '0' }),
  );
  const severity = field(
    'severity',
    'Severity',
    h(
      'select',
      {},
      ...['info', 'warning', 'critical'].map((s) => h('option', { value: s, selected: s === 'warning' }, s)),
    ),
  );
  const fields = [name, match, minScore, severity];
  const general = h('div', { class: 'error' });
  const refresh = async () => {
    const { rules } = await getJson<{ rules: Rule[] }>('/api/v1/alert-rules');
    fill(
      list,
      rules.length === 0
        ? h('p', { class: 'muted' }, 'No alert rules.')
        : h(
            'table',
            {},
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['Name', 'Selector', 'Severity', 'Least score', 'Enabled'].map((t) => h('th', {}, t)),
              ),
            ),
            h(
              'tbody',
              {},
              ...rules.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, r.name),
                  h('td', {}, r.match),
                  h('td', {}, r.severity),
                  h('td', {}, r.minScore),
                  h('td', {}, r.enabled ? 'yes' : 'no'),
                ),
              ),
            ),
          ),
    );
  };
  const form = h(
    'form',
    { class: 'config-form', 'aria-label': 'New alert rule' },
    ...fields.map((f) => f.row),
    h('button', { type: 'submit' }, 'Add rule'),
    general,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(fields, general);
    void send('POST', '/api/v1/alert-rules', {
      name: name.control.value,
      match: match.control.value,
      minScore: Number(minScore.control.value),
      severity: severity.control.value,
    }).then(refresh, (err: unknown) => showApiError(err, fields, general));
  });
  refresh().catch((err: unknown) => fill(list, h('p', { class: 'error' }, String((err as Error).message))));
  return h('section', {}, h('h2', {}, 'Alert rules'), list, h('h3', {}, 'New rule'), form);
}

function silencesSection(): HTMLElement {
  const list = h('div', {});
  const match = field('match', 'Selector', h('input', { type: 'text' }));
  const hours = field('endsAt', 'Hours from now', h('input', { type: 'number', step: 'any', value: '2' }));
  const comment = field('comment', 'Comment', h('input', { type: 'text' }));
  const fields = [match, hours, comment];
  const general = h('div', { class: 'error' });
  const refresh = async () => {
    const { silences } = await getJson<{ silences: Silence[] }>('/api/v1/silences');
    fill(
      list,
      silences.length === 0
        ? h('p', { class: 'muted' }, 'No silences.')
        : h(
            'table',
            {},
            h(
              'thead',
              {},
              h('tr', {}, ...['Selector', 'Kind', 'From', 'Until', 'Comment'].map((t) => h('th', {}, t))),
            ),
            h(
              'tbody',
              {},
              ...silences.map((s) =>
                h(
                  'tr',
                  {},
                  h('td', {}, s.match),
                  h('td', {}, s.kind),
                  h('td', {}, fmtTime(s.startsAt)),
                  h('td', {}, fmtTime(s.endsAt)),
                  h('td', {}, s.comment),
                ),
              ),
            ),
          ),
    );
  };
  const form = h(
    'form',
    { class: 'config-form', 'aria-label': 'New silence' },
    ...fields.map((f) => f.row),
    h('button', { type: 'submit' }, 'Add silence'),
    general,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(fields, general);
    const now = Date.now();
    void send('POST', '/api/v1/silences', {
      match: match.control.value,
      startsAt: now,
      endsAt: Math.round(now + Number(hours.control.value) * 3_600_000),
      comment: comment.control.value,
    }).then(refresh, (err: unknown) => showApiError(err, fields, general));
  });
  refresh().catch((err: unknown) => fill(list, h('p', { class: 'error' }, String((err as Error).message))));
  return h('section', {}, h('h2', {}, 'Silences'), list, h('h3', {}, 'New silence'), form);
}

export function configPage(root: HTMLElement, params: URLSearchParams): () => void {
  const series = params.get('series');
  const picker = h('select', { id: 'config-series' }, h('option', { value: '' }, 'Choose a series…'));
  picker.addEventListener('change', () => {
    location.hash = `#/config${qs({ series: picker.value || undefined })}`;
  });
  void getJson<{ series: SeriesInfo[] }>('/api/v1/series?limit=1000').then(
    (ans) => {
      for (const s of ans.series)
        picker.append(h('option', { value: s.key, selected: s.key === series }, s.key));
    },
    () => undefined,
  );
  fill(
    root,
    h('h1', {}, 'Configuration'),
    h('p', {}, h('label', { for: 'config-series' }, 'Series '), picker),
    series !== null
      ? pipelineSection(series)
      : h('p', { class: 'muted' }, 'Choose a series to see its pipeline.'),
    rulesSection(),
    silencesSection(),
  );
  return () => undefined;
}
