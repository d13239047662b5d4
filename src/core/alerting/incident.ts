/**
 * The incident record: what the grouper keeps, the store holds and the API shows. An incident is
 * the anomalies of one rule and one group (its `groupBy` label values) that came close enough in
 * time; see ./incidents.ts for how they are grouped and when they resolve.
 */
import type { Severity } from './notification.ts';
import type { RootCauseCandidate } from './root-cause.ts';

/** One form of an anomaly as the alerter receives it (the engine emits one per open, extension, close). */
export interface AnomalyChange {
  /** `anomalyId`: `<seriesId>-<start>`. */
  id: string;
  tenant: string;
  seriesKey: string;
  metric: string;
  /** Without the tenant tag. */
  tags: Readonly<Record<string, string>>;
  start: number;
  end: number;
  open: boolean;
  peakScore: number;
  peakValue: number;
  peakExpected: number;
  direction: 'up' | 'down' | 'unknown';
}

export interface IncidentMember extends AnomalyChange {
  severity: Severity;
}

export type TimelineKind = 'opened' | 'member_added' | 'severity_changed' | 'root_cause_changed' | 'resolved';

export interface TimelineEvent {
  /** Wall-clock epoch ms when the alerter saw it. */
  atMs: number;
  kind: TimelineKind;
  anomalyId?: string;
  severity?: Severity;
  seriesKey?: string;
}

export interface Incident {
  /** `<hash of tenant, rule and group>-<start>`: unique per tenant, stable across restarts. */
  id: string;
  tenant: string;
  rule: string;
  /** The rule's `groupBy` labels and the values this incident shares (absent labels are ""). */
  group: Record<string, string>;
  status: 'open' | 'resolved';
  severity: Severity;
  /** Epoch ms of the first member's first anomalous point. */
  startsAt: number;
  /** Latest end of any member (event time). */
  lastActivityAt: number;
  openedMs: number;
  /** Wall-clock ms of the last change (a member added, extended or ended). */
  updatedMs: number;
  resolvedMs?: number;
  members: IncidentMember[];
  /** Anomalies that qualified after `MAX_MEMBERS` was reached: counted, not kept. */
  droppedMembers: number;
  timeline: TimelineEvent[];
  rootCauses: RootCauseCandidate[];
}

/** Most members kept per incident, and most timeline events (older member events are dropped first). */
export const INCIDENT_LIMITS = { members: 500, timeline: 1000 } as const;

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}
