/**
 * The incident grouper: a deterministic streaming state machine, no I/O and no clock (the caller
 * passes `nowMs`, the wall clock in production, series time in the bench).
 *
 * For each anomaly change and each enabled rule of its tenant:
 *   - a change of an anomaly already in an incident updates that member;
 *   - else the anomaly qualifies when the rule's selector matches its series, its peak score is at
 *     least `minScore`, it lasted `minDurationMs` and its direction is the rule's (an `unknown`
 *     direction passes only `any`); a form too short now may qualify when it grows;
 *   - a qualifying anomaly joins the newest open incident of its group (the rule's `groupBy` label
 *     values) that has a member still open, or whose last activity (latest member end) is at most
 *     `groupGapMs` before the anomaly's start — with `relatedOnly`, only one holding a related
 *     member (see `related`); else it opens a new incident. Incidents never merge.
 * `tick(nowMs)` resolves an incident once every member has ended and `resolveTimeoutMs` passed
 * since its last change (or its rule is gone or disabled), and sends repeats.
 *
 * Notifications: firing when an incident opens and on a material change (severity or top root
 * cause), again after `repeatIntervalMs`, resolved (with `endsAt`) when it resolves if a firing
 * was sent. While a silence matches, nothing is sent; what changed is sent once it ends.
 * State is a JSON snapshot (`snapshot()` / the constructor), rules and silences are not in it.
 */

import { matches } from '../selector.ts';
import {
  type AnomalyChange,
  INCIDENT_LIMITS,
  type Incident,
  type IncidentMember,
  maxSeverity,
  type TimelineEvent,
} from './incident.ts';
import type { AlertNotification, Severity } from './notification.ts';
import { alertLabels, renderNotification } from './render.ts';
import { rankRootCauses } from './root-cause.ts';
import type { AlertRule, CompiledRule } from './rule.ts';
import { type ActiveSilence, seriesSilencedBy, silencedBy } from './silences.ts';

/** How long a member of a resolved incident is remembered, so a replayed form does not reopen it. */
export const FINISHED_TTL_MS = 86_400_000;

/** A notification and the notifiers (the rule's) it goes to. */
export interface Outgoing {
  notifiers: readonly string[];
  notification: AlertNotification;
}

export interface GrouperOutput {
  /** Copies of the incidents that changed, to store. */
  incidents: Incident[];
  notifications: Outgoing[];
}

interface NotifyState {
  sequence: number;
  firingSent: boolean;
  lastSentMs: number;
  sentSeverity?: Severity;
  sentRootCause?: string;
}

interface Tracked {
  incident: Incident;
  groupKey: string;
  notify: NotifyState;
  /** The rule as last applied: a resolution after the rule was deleted is still rendered and sent. */
  rule: AlertRule;
}

export interface GrouperSnapshot {
  version: 1;
  incidents: Tracked[];
  finished: [string, number][];
}

export interface GrouperOptions {
  /** The link in each notification; default `/api/v1/incidents/<id>`. */
  generatorURL?: (incident: Incident) => string;
}

const k = (...parts: string[]): string => parts.join('\u0000');

export class IncidentGrouper {
  readonly #rules = new Map<string, readonly CompiledRule[]>();
  readonly #silences = new Map<string, readonly ActiveSilence[]>();
  readonly #link: (i: Incident) => string;
  /** Open incidents by tenant\0id. */
  readonly #open = new Map<string, Tracked>();
  /** The open incidents of each tenant\0rule\0group, oldest first. */
  readonly #groups = new Map<string, Tracked[]>();
  /** tenant\0rule\0anomalyId → the open incident holding it. */
  readonly #memberOf = new Map<string, Tracked>();
  /** tenant\0rule\0anomalyId of members of resolved incidents → when they resolved. */
  readonly #finished = new Map<string, number>();

  constructor(opts: GrouperOptions = {}, state?: GrouperSnapshot) {
    this.#link = opts.generatorURL ?? ((i) => `/api/v1/incidents/${i.id}`);
    for (const t of state?.incidents ?? []) this.#track(t);
    for (const [key, ms] of state?.finished ?? []) this.#finished.set(key, ms);
  }

  setRules(tenant: string, rules: readonly CompiledRule[]): void {
    this.#rules.set(tenant, rules);
  }

  setSilences(tenant: string, silences: readonly ActiveSilence[]): void {
    this.#silences.set(tenant, silences);
  }

  /** The open incidents (live objects: do not change them). */
  openIncidents(): Incident[] {
    return [...this.#open.values()].map((t) => t.incident);
  }

  process(change: AnomalyChange, nowMs: number): GrouperOutput {
    const out: GrouperOutput = { incidents: [], notifications: [] };
    for (const compiled of this.#rules.get(change.tenant) ?? []) {
      const { rule } = compiled;
      if (!rule.enabled) continue;
      const mkey = k(change.tenant, rule.name, change.id);
      const held = this.#memberOf.get(mkey);
      let t: Tracked;
      if (held !== undefined) {
        t = held;
        t.rule = rule;
        this.#update(t, change, compiled, nowMs);
      } else {
        if (this.#finished.has(mkey) || !qualifies(compiled, change)) continue;
        const group = Object.fromEntries(rule.groupBy.map((l) => [l, change.tags[l] ?? '']));
        const gkey = k(change.tenant, rule.name, JSON.stringify(rule.groupBy.map((l) => group[l])));
        const into = (this.#groups.get(gkey) ?? []).findLast(
          (x) =>
            joins(x.incident, change, rule.groupGapMs) &&
            (!rule.relatedOnly || related(x.incident, change, rule)),
        );
        if (into !== undefined) {
          t = into;
          this.#add(t, change, compiled, nowMs);
        } else {
          t = this.#openIncident(change, compiled, group, gkey, nowMs);
        }
        this.#memberOf.set(mkey, t);
      }
      this.#notify(t, compiled, nowMs, out);
      out.incidents.push(copyOf(t.incident));
    }
    return out;
  }

  /** Resolves what is due, sends repeats and what a silence held back, forgets old finished members. */
  tick(nowMs: number): GrouperOutput {
    const out: GrouperOutput = { incidents: [], notifications: [] };
    for (const t of [...this.#open.values()]) {
      const inc = t.incident;
      const compiled = (this.#rules.get(inc.tenant) ?? []).find((r) => r.rule.name === inc.rule);
      if (compiled === undefined || !compiled.rule.enabled) {
        this.#resolve(t, nowMs);
        this.#notify(t, { rule: t.rule, selector: { matchers: [] } }, nowMs, out);
        out.incidents.push(copyOf(inc));
        continue;
      }
      t.rule = compiled.rule;
      const ended = inc.members.every((m) => !m.open);
      if (ended && nowMs - inc.updatedMs >= compiled.rule.resolveTimeoutMs) {
        this.#resolve(t, nowMs);
        out.incidents.push(copyOf(inc));
      }
      this.#notify(t, compiled, nowMs, out);
    }
    for (const [key, ms] of this.#finished) if (nowMs - ms > FINISHED_TTL_MS) this.#finished.delete(key);
    return out;
  }

  snapshot(): GrouperSnapshot {
    return {
      version: 1,
      incidents: structuredClone([...this.#open.values()]),
      finished: [...this.#finished.entries()],
    };
  }

  #track(t: Tracked): void {
    const inc = t.incident;
    this.#open.set(k(inc.tenant, inc.id), t);
    const group = this.#groups.get(t.groupKey) ?? [];
    group.push(t);
    group.sort(
      (a, b) => a.incident.openedMs - b.incident.openedMs || a.incident.startsAt - b.incident.startsAt,
    );
    this.#groups.set(t.groupKey, group);
    for (const m of inc.members) this.#memberOf.set(k(inc.tenant, inc.rule, m.id), t);
  }

  #openIncident(
    change: AnomalyChange,
    compiled: CompiledRule,
    group: Record<string, string>,
    gkey: string,
    nowMs: number,
  ): Tracked {
    const base = `${fnv1a(gkey)}-${change.start}`;
    let id = base;
    for (let n = 2; this.#open.has(k(change.tenant, id)); n++) id = `${base}-${n}`;
    const member = memberOf(change, compiled);
    const incident: Incident = {
      id,
      tenant: change.tenant,
      rule: compiled.rule.name,
      group,
      status: 'open',
      severity: member.severity,
      startsAt: change.start,
      lastActivityAt: change.end,
      openedMs: nowMs,
      updatedMs: nowMs,
      members: [member],
      droppedMembers: 0,
      timeline: [{ atMs: nowMs, kind: 'opened', anomalyId: change.id, severity: member.severity }],
      rootCauses: [],
    };
    const t: Tracked = {
      incident,
      groupKey: gkey,
      notify: { sequence: 0, firingSent: false, lastSentMs: 0 },
      rule: compiled.rule,
    };
    rerank(t, compiled, nowMs);
    this.#track(t);
    return t;
  }

  #add(t: Tracked, change: AnomalyChange, compiled: CompiledRule, nowMs: number): void {
    const inc = t.incident;
    if (inc.members.length >= INCIDENT_LIMITS.members) {
      inc.droppedMembers++;
      inc.updatedMs = nowMs;
      return;
    }
    inc.members.push(memberOf(change, compiled));
    event(inc, { atMs: nowMs, kind: 'member_added', anomalyId: change.id, seriesKey: change.seriesKey });
    this.#changed(t, change, compiled, nowMs);
  }

  #update(t: Tracked, change: AnomalyChange, compiled: CompiledRule, nowMs: number): void {
    const inc = t.incident;
    const i = inc.members.findIndex((m) => m.id === change.id);
    // A member past the cap is counted only; its later forms change nothing kept.
    if (i < 0) return;
    const was = inc.members[i]!;
    inc.members[i] = memberOf(change, compiled);
    // An extension that moved neither the peak nor the state changes no ranking (the common case:
    // one form per anomalous point).
    const same = was.peakValue === change.peakValue && was.peakExpected === change.peakExpected;
    this.#changed(t, change, compiled, nowMs, !same);
  }

  #changed(t: Tracked, change: AnomalyChange, compiled: CompiledRule, nowMs: number, rank = true): void {
    const inc = t.incident;
    inc.updatedMs = nowMs;
    inc.startsAt = Math.min(inc.startsAt, change.start);
    inc.lastActivityAt = Math.max(inc.lastActivityAt, change.end);
    const severity = inc.members.reduce<Severity>((s, m) => maxSeverity(s, m.severity), 'info');
    if (severity !== inc.severity) {
      inc.severity = severity;
      event(inc, { atMs: nowMs, kind: 'severity_changed', severity });
    }
    if (rank) rerank(t, compiled, nowMs);
  }

  #resolve(t: Tracked, nowMs: number): void {
    const inc = t.incident;
    inc.status = 'resolved';
    inc.resolvedMs = nowMs;
    inc.updatedMs = nowMs;
    event(inc, { atMs: nowMs, kind: 'resolved' });
    this.#open.delete(k(inc.tenant, inc.id));
    const rest = (this.#groups.get(t.groupKey) ?? []).filter((x) => x !== t);
    if (rest.length === 0) this.#groups.delete(t.groupKey);
    else this.#groups.set(t.groupKey, rest);
    for (const m of inc.members) {
      const key = k(inc.tenant, inc.rule, m.id);
      this.#memberOf.delete(key);
      this.#finished.set(key, nowMs);
    }
  }

  #notify(t: Tracked, compiled: CompiledRule, nowMs: number, out: GrouperOutput): void {
    const inc = t.incident;
    const n = t.notify;
    const send = (status: 'firing' | 'resolved') => {
      n.sequence++;
      n.lastSentMs = nowMs;
      n.sentSeverity = inc.severity;
      n.sentRootCause = inc.rootCauses[0]?.seriesKey;
      out.notifications.push({
        notifiers: compiled.rule.notifiers,
        notification: renderNotification(inc, compiled.rule, status, n.sequence, nowMs, this.#link(inc)),
      });
    };
    if (inc.status === 'resolved') {
      if (n.firingSent) send('resolved');
      return;
    }
    if (this.#muted(inc, compiled, nowMs)) return;
    const material =
      !n.firingSent || n.sentSeverity !== inc.severity || n.sentRootCause !== inc.rootCauses[0]?.seriesKey;
    if (material || nowMs - n.lastSentMs >= compiled.rule.repeatIntervalMs) {
      n.firingSent = true;
      send('firing');
    }
  }

  /** A silence matches the alert's labels, or every member series. */
  #muted(inc: Incident, compiled: CompiledRule, nowMs: number): boolean {
    const silences = this.#silences.get(inc.tenant) ?? [];
    if (silences.length === 0) return false;
    if (silencedBy(silences, alertLabels(inc, compiled.rule), nowMs).length > 0) return true;
    return inc.members.every((m) => seriesSilencedBy(silences, m.metric, m.tags, nowMs).length > 0);
  }
}

function qualifies({ rule, selector }: CompiledRule, a: AnomalyChange): boolean {
  return (
    a.peakScore >= rule.minScore &&
    a.end - a.start >= rule.minDurationMs &&
    (rule.direction === 'any' || rule.direction === a.direction) &&
    matches(selector, a.metric, a.tags)
  );
}

function joins(inc: Incident, a: AnomalyChange, gapMs: number): boolean {
  return inc.members.some((m) => m.open) || a.start <= inc.lastActivityAt + gapMs;
}

/**
 * Whether `a` is related to a member of `inc` through the rule's labels: the same identity value
 * (another metric of the same service), or one names the other in its dependency label.
 */
function related(inc: Incident, a: AnomalyChange, rule: Readonly<AlertRule>): boolean {
  const names = (tags: Readonly<Record<string, string>>) =>
    (tags[rule.dependencyLabel] ?? '').split(',').map((x) => x.trim());
  const id = a.tags[rule.identityLabel];
  const deps = names(a.tags);
  return inc.members.some((m) => {
    const mid = m.tags[rule.identityLabel];
    if (mid === undefined || id === undefined) return false;
    return mid === id || deps.includes(mid) || names(m.tags).includes(id);
  });
}

function memberOf(a: AnomalyChange, { rule }: CompiledRule): IncidentMember {
  const critical = rule.criticalScore !== undefined && a.peakScore >= rule.criticalScore;
  return { ...a, tags: { ...a.tags }, severity: critical ? 'critical' : rule.severity };
}

function rerank(t: Tracked, { rule }: CompiledRule, nowMs: number): void {
  const inc = t.incident;
  const before = inc.rootCauses[0]?.seriesKey;
  inc.rootCauses = rankRootCauses(inc.members, rule);
  const top = inc.rootCauses[0]?.seriesKey;
  if (before !== undefined && top !== before)
    event(inc, { atMs: nowMs, kind: 'root_cause_changed', seriesKey: top });
}

/**
 * A copy of `inc` that later changes of the grouper do not reach. Members, timeline events and
 * root-cause lists are never changed in place (a change replaces them), so copying the arrays
 * that hold them is enough; structuredClone took half the grouper's time.
 */
function copyOf(inc: Incident): Incident {
  return { ...inc, group: { ...inc.group }, members: [...inc.members], timeline: [...inc.timeline] };
}

/** Appends `e`; past the limit the oldest member event goes (opened and resolved are kept). */
function event(inc: Incident, e: TimelineEvent): void {
  inc.timeline.push(e);
  if (inc.timeline.length > INCIDENT_LIMITS.timeline) {
    const i = inc.timeline.findIndex((x) => x.kind !== 'opened');
    inc.timeline.splice(i, 1);
  }
}

/** 32-bit FNV-1a of `s` as 8 hex digits: a short stable id part. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}
