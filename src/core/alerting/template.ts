/**
 * The tiny template syntax of alert rule labels and annotations: text with `{{placeholder}}`
 * slots, nothing else (no logic, no escapes). Placeholders:
 *
 *   {{rule}} {{tenant}} {{severity}} {{status}} {{incident.id}} {{incident.members}}
 *   {{root_cause}} (the top-ranked root-cause series, empty when none) {{labels.<name>}} (a group_by
 *   label's value, empty when the incident has none by that name)
 *
 * A template is checked when its rule is accepted: an unknown placeholder or an unclosed `{{` is
 * a 400 naming the field, so rendering never fails.
 */
import { VigilError } from '../errors.ts';

/** What a template is rendered with. */
export interface TemplateContext {
  rule: string;
  tenant: string;
  severity: string;
  status: string;
  incidentId: string;
  members: number;
  rootCause: string;
  labels: Readonly<Record<string, string>>;
}

const SLOT = /\{\{\s*([^{}]*?)\s*\}\}/g;
const LABEL = /^labels\.[A-Za-z_][A-Za-z0-9_]*$/;
const FIXED = new Set([
  'rule',
  'tenant',
  'severity',
  'status',
  'incident.id',
  'incident.members',
  'root_cause',
]);

/** Throws a VIGIL_ERR_BAD_REQUEST naming `field` when `text` is not a valid template. */
export function checkTemplate(text: string, field: string): void {
  for (const m of text.matchAll(SLOT)) {
    const name = m[1]!;
    if (!FIXED.has(name) && !LABEL.test(name)) {
      throw new VigilError(
        'VIGIL_ERR_BAD_REQUEST',
        `${field}: unknown placeholder {{${name}}} (known: ${[...FIXED].map((f) => `{{${f}}}`).join(', ')}, {{labels.<name>}})`,
        { location: { field } },
      );
    }
  }
  if (text.replace(SLOT, '').includes('{{')) {
    throw new VigilError('VIGIL_ERR_BAD_REQUEST', `${field}: "{{" without a closing "}}"`, {
      location: { field },
    });
  }
}

/** `text` with every placeholder replaced (a template `checkTemplate` accepted). */
export function renderTemplate(text: string, ctx: TemplateContext): string {
  return text.replace(SLOT, (_all, name: string) => {
    if (name.startsWith('labels.')) return ctx.labels[name.slice('labels.'.length)] ?? '';
    switch (name) {
      case 'rule':
        return ctx.rule;
      case 'tenant':
        return ctx.tenant;
      case 'severity':
        return ctx.severity;
      case 'status':
        return ctx.status;
      case 'incident.id':
        return ctx.incidentId;
      case 'incident.members':
        return String(ctx.members);
      case 'root_cause':
        return ctx.rootCause;
      default:
        return '';
    }
  });
}
