/**
 * Silences and maintenance windows: a selector and a time range, optionally recurring weekly (UTC).
 * A silence mutes notifications of what it matches; a maintenance window mutes them too and also
 * means "do not learn": `learningPaused` tells the engine that a series' points should not train
 * its pipeline, so a planned outage does not become the new normal.
 *
 * What a silence matches (docs/alerting.md, "Rules, incidents and silences"):
 *   - an alert, by its labels, the selector's metric name standing for `alertname` (the rule):
 *     `{alertname="HighLatency",service="db"}` or `HighLatency{service="db"}`;
 *   - a series, by its metric and tags (`learningPaused`, and an incident whose every member
 *     series it matches).
 */
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { matches, parseSelector, type Selector } from '../selector.ts';
import type { Tags } from '../series.ts';
import { badField, checkSchema } from './rule.ts';

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export const SilenceInputSchema = Type.Object(
  {
    match: Type.String({ minLength: 1, maxLength: 8192, description: 'selector of alerts or series' }),
    startsAt: Type.Integer({ description: 'epoch ms' }),
    endsAt: Type.Integer({ description: 'epoch ms, after startsAt' }),
    recurrence: Type.Optional(
      Type.Object(
        {
          days: Type.Array(Type.Integer({ minimum: 0, maximum: 6 }), {
            minItems: 1,
            maxItems: 7,
            uniqueItems: true,
            description: 'days of the week, 0 = Sunday (UTC)',
          }),
          start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM UTC' }),
          durationMs: Type.Integer({
            minimum: 60_000,
            maximum: WEEK_MS,
            description: 'length of each window',
          }),
        },
        { additionalProperties: false, description: 'weekly windows inside [startsAt, endsAt)' },
      ),
    ),
    kind: Type.Union([Type.Literal('silence'), Type.Literal('maintenance')], {
      default: 'silence',
      description: '`maintenance` also pauses learning of the series it matches',
    }),
    comment: Type.String({ maxLength: 1024, default: '' }),
  },
  { additionalProperties: false },
);

export type SilenceInput = Static<typeof SilenceInputSchema>;

export interface Silence extends SilenceInput {
  id: string;
  tenant: string;
  createdBy: string;
  createdMs: number;
}

/** A silence with its selector parsed, as the matching functions take it. */
export interface ActiveSilence {
  readonly silence: Readonly<Silence>;
  readonly selector: Selector;
}

/** `input` with defaults filled in, or a VIGIL_ERR_BAD_REQUEST naming the bad field. */
export function parseSilenceInput(input: unknown): SilenceInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw badField('body', 'body: a silence must be a JSON object');
  }
  const s = Value.Default(SilenceInputSchema, structuredClone(input)) as SilenceInput;
  checkSchema(SilenceInputSchema, s, '');
  if (s.endsAt <= s.startsAt) throw badField('endsAt', 'endsAt: must be after startsAt');
  parseSelector(s.match);
  return s;
}

export function compileSilence(s: Readonly<Silence>): ActiveSilence {
  return { silence: s, selector: parseSelector(s.match) };
}

/** Whether `s` is in force at `t` (epoch ms): inside its range and, if recurring, inside a window. */
export function activeAt(s: Pick<Silence, 'startsAt' | 'endsAt' | 'recurrence'>, t: number): boolean {
  if (t < s.startsAt || t >= s.endsAt) return false;
  const r = s.recurrence;
  if (r === undefined) return true;
  const [hh, mm] = r.start.split(':').map(Number) as [number, number];
  const offset = (hh * 60 + mm) * 60_000;
  // A window that began on an earlier day may still be open: look back as far as one can last.
  const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
  for (let back = 0; back * DAY_MS < r.durationMs + DAY_MS; back++) {
    const day = dayStart - back * DAY_MS;
    // 1970-01-01 was a Thursday (4).
    const weekday = (((Math.floor(day / DAY_MS) + 4) % 7) + 7) % 7;
    if (!r.days.includes(weekday)) continue;
    const from = day + offset;
    if (t >= from && t < from + r.durationMs) return true;
  }
  return false;
}

/** The silences in force at `t` that match an alert with `labels` (`alertname` = the rule). */
export function silencedBy(
  silences: readonly ActiveSilence[],
  labels: Readonly<Record<string, string>>,
  t: number,
): ActiveSilence[] {
  return silences.filter(
    (s) => activeAt(s.silence, t) && matches(s.selector, labels.alertname ?? '', labels),
  );
}

/** The silences in force at `t` that match the series `metric{tags}`. */
export function seriesSilencedBy(
  silences: readonly ActiveSilence[],
  metric: string,
  tags: Tags,
  t: number,
): ActiveSilence[] {
  return silences.filter((s) => activeAt(s.silence, t) && matches(s.selector, metric, tags));
}

/** Whether a maintenance window in force at `t` covers the series: its points should not train it. */
export function learningPaused(
  silences: readonly ActiveSilence[],
  metric: string,
  tags: Tags,
  t: number,
): boolean {
  return seriesSilencedBy(silences, metric, tags, t).some((s) => s.silence.kind === 'maintenance');
}
