/**
 * What the alerter hands to delivery: one notification per change of an incident under a rule,
 * shaped like a Prometheus Alertmanager v2 alert so that every notifier can render it. The alerter
 * (app/alerter.ts) makes them; the delivery outbox (ports/notification-outbox.ts) sends them.
 */

export type AlertStatus = 'firing' | 'resolved';
export type Severity = 'info' | 'warning' | 'critical';

export interface AlertNotification {
  /**
   * Stable for one incident under one rule: `<tenant>/<rule>/<incidentId>`. Retries, restarts and
   * failover reuse it, so a receiver (and Alertmanager's own grouping) sees one alert, never two.
   */
  dedupKey: string;
  tenant: string;
  rule: string;
  incidentId: string;
  status: AlertStatus;
  /** Grows with each change of the incident (new member, severity, resolution); a receiver keeps the highest. */
  sequence: number;
  severity: Severity;
  /** Alertmanager labels: `alertname` (the rule), `vigil_incident`, the rule's group_by values, its labels. */
  labels: Record<string, string>;
  /** Alertmanager annotations: `summary`, `description`, `root_cause`, the rule's rendered templates. */
  annotations: Record<string, string>;
  /** Epoch ms of the incident's first anomalous point. */
  startsAt: number;
  /** Epoch ms the incident resolved; set exactly when `status` is `resolved`. */
  endsAt?: number;
  /** Link back to the incident in Vigil's API (`/api/v1/incidents/{id}`). */
  generatorURL: string;
  /** Wall-clock epoch ms when the alerter made this notification (delivery latency is measured from here). */
  createdMs: number;
}

/** `<tenant>/<rule>/<incidentId>`: the one dedup key of an incident under a rule. */
export function dedupKeyOf(tenant: string, rule: string, incidentId: string): string {
  return `${tenant}/${rule}/${incidentId}`;
}
