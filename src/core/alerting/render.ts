/**
 * Renders an incident under its rule as an AlertNotification: Alertmanager-shaped labels
 * (`alertname`, `vigil_incident`, `severity`, the group's values, the rule's label templates) and
 * annotations (`summary`, `description`, `root_cause`, the rule's annotation templates).
 */
import type { Incident } from './incident.ts';
import { type AlertNotification, type AlertStatus, dedupKeyOf } from './notification.ts';
import type { AlertRule } from './rule.ts';
import { renderTemplate, type TemplateContext } from './template.ts';

/** The labels an alert of `incident` carries (what silences match). */
export function alertLabels(incident: Incident, rule: Readonly<AlertRule>): Record<string, string> {
  const ctx = contextOf(incident, rule.name, 'firing');
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(rule.labels)) labels[k] = renderTemplate(v, ctx);
  for (const [k, v] of Object.entries(incident.group)) if (v !== '') labels[k] = v;
  labels.alertname = rule.name;
  labels.vigil_incident = incident.id;
  labels.severity = incident.severity;
  return labels;
}

export function renderNotification(
  incident: Incident,
  rule: Readonly<AlertRule>,
  status: AlertStatus,
  sequence: number,
  nowMs: number,
  generatorURL: string,
): AlertNotification {
  const ctx = contextOf(incident, rule.name, status);
  const series = new Set(incident.members.map((m) => m.seriesKey)).size;
  const annotations: Record<string, string> = {
    summary: `${rule.name}: ${series} anomalous series${groupText(incident.group)}`,
    description: `Incident ${incident.id} (${incident.severity}, ${status}): ${incident.members.length + incident.droppedMembers} anomalies in ${series} series since ${new Date(incident.startsAt).toISOString()}.`,
    root_cause: ctx.rootCause,
  };
  for (const [k, v] of Object.entries(rule.annotations)) annotations[k] = renderTemplate(v, ctx);
  return {
    dedupKey: dedupKeyOf(incident.tenant, rule.name, incident.id),
    tenant: incident.tenant,
    rule: rule.name,
    incidentId: incident.id,
    status,
    sequence,
    severity: incident.severity,
    labels: alertLabels(incident, rule),
    annotations,
    startsAt: incident.startsAt,
    ...(status === 'resolved' ? { endsAt: incident.resolvedMs ?? nowMs } : {}),
    generatorURL,
    createdMs: nowMs,
  };
}

function contextOf(incident: Incident, rule: string, status: string): TemplateContext {
  return {
    rule,
    tenant: incident.tenant,
    severity: incident.severity,
    status,
    incidentId: incident.id,
    members: incident.members.length + incident.droppedMembers,
    rootCause: incident.rootCauses[0]?.seriesKey ?? '',
    labels: incident.group,
  };
}

function groupText(group: Record<string, string>): string {
  const parts = Object.entries(group)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`);
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}
