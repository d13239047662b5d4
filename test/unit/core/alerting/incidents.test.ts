import { describe, expect, it } from 'vitest';
import type { AnomalyChange } from '../../../../src/core/alerting/incident.ts';
import { IncidentGrouper } from '../../../../src/core/alerting/incidents.ts';
import { compileRule, parseAlertRule } from '../../../../src/core/alerting/rule.ts';
import { compileSilence } from '../../../../src/core/alerting/silences.ts';

const MIN = 60_000;

function rule(over: Record<string, unknown> = {}) {
  return compileRule(
    parseAlertRule({
      name: 'lat',
      match: 'latency',
      groupBy: ['env'],
      groupGapMs: 5 * MIN,
      resolveTimeoutMs: 5 * MIN,
      notifiers: ['pager'],
      annotations: { summary: '{{rule}} at {{root_cause}} ({{labels.env}})' },
      ...over,
    }),
  );
}

function change(
  service: string,
  start: number,
  end: number,
  over: Partial<AnomalyChange> = {},
): AnomalyChange {
  const tags: Record<string, string> = { env: 'prod', service, ...(over.tags ?? {}) };
  return {
    id: `${service}-${start}`,
    tenant: 'default',
    seriesKey: `latency{service="${service}"}`,
    metric: 'latency',
    start,
    end,
    open: false,
    peakScore: 0.99,
    peakValue: 200,
    peakExpected: 100,
    direction: 'up',
    ...over,
    tags,
  };
}

function grouper(rules = [rule()]) {
  const g = new IncidentGrouper();
  g.setRules('default', rules);
  return g;
}

describe('incident grouping', () => {
  it('groups anomalies that start within the gap and share group_by values; others open new incidents', () => {
    const g = grouper();
    const a = g.process(change('db', 0, 2 * MIN), 0);
    const b = g.process(change('api', 6 * MIN, 7 * MIN), 6 * MIN); // 4 min after db ended: joins
    const c = g.process(change('web', 20 * MIN, 21 * MIN), 20 * MIN); // 13 min after: new incident
    const d = g.process(change('db', 6 * MIN, 8 * MIN, { tags: { env: 'dev' } }), 6 * MIN); // other group
    expect(b.incidents[0]!.id).toBe(a.incidents[0]!.id);
    expect(b.incidents[0]!.members.map((m) => m.id)).toEqual(['db-0', `api-${6 * MIN}`]);
    expect(c.incidents[0]!.id).not.toBe(a.incidents[0]!.id);
    expect(d.incidents[0]!.id).not.toBe(a.incidents[0]!.id);
    expect(d.incidents[0]!.group).toEqual({ env: 'dev' });
    expect(b.incidents[0]!.timeline.map((e) => e.kind)).toEqual(['opened', 'member_added']);
  });

  it('with relatedOnly, an unrelated anomaly in the same window opens its own incident', () => {
    const g = grouper([rule({ relatedOnly: true })]);
    const db = g.process(change('db', 0, 5 * MIN), 0).incidents[0]!;
    const api = g.process(change('api', MIN, 5 * MIN, { tags: { depends_on: 'db' } }), MIN).incidents[0]!;
    const mail = g.process(change('mail', 2 * MIN, 3 * MIN), 2 * MIN).incidents[0]!;
    const db2 = g.process(change('db', 3 * MIN, 4 * MIN, { id: 'db-again' }), 3 * MIN).incidents[0]!;
    expect(api.id).toBe(db.id);
    expect(mail.id).not.toBe(db.id);
    expect(db2.id).toBe(db.id);
    // Without it, the same anomaly joins by time alone.
    const h = grouper();
    const first = h.process(change('db', 0, 5 * MIN), 0).incidents[0]!;
    expect(h.process(change('mail', 2 * MIN, 3 * MIN), 2 * MIN).incidents[0]!.id).toBe(first.id);
  });

  it('an open member keeps the incident joinable however long it lasts', () => {
    const g = grouper();
    const a = g.process(change('db', 0, 0, { open: true }), 0);
    const b = g.process(change('api', 60 * MIN, 61 * MIN), 60 * MIN);
    expect(b.incidents[0]!.id).toBe(a.incidents[0]!.id);
  });

  it('filters by selector, score, duration and direction; a growing anomaly qualifies later', () => {
    const g = grouper([rule({ minScore: 0.9, minDurationMs: MIN, direction: 'up' })]);
    expect(g.process(change('db', 0, 5 * MIN, { metric: 'cpu' }), 0).incidents).toEqual([]);
    expect(g.process(change('db', 0, 5 * MIN, { peakScore: 0.5 }), 0).incidents).toEqual([]);
    expect(g.process(change('db', 0, 5 * MIN, { direction: 'down' }), 0).incidents).toEqual([]);
    expect(g.process(change('db', 0, 5 * MIN, { direction: 'unknown' }), 0).incidents).toEqual([]);
    expect(g.process(change('db', 0, 0, { open: true }), 0).incidents).toEqual([]);
    expect(g.process(change('db', 0, MIN, { open: true }), MIN).incidents).toHaveLength(1);
  });

  it('resolves once every member ended and the resolve timeout passed, with one resolved notification', () => {
    const g = grouper();
    const open = g.process(change('db', 0, 0, { open: true }), 0);
    expect(open.notifications.map((n) => n.notification.status)).toEqual(['firing']);
    expect(open.notifications[0]!.notifiers).toEqual(['pager']);
    expect(g.tick(30 * MIN).incidents).toEqual([]); // still open member
    g.process(change('db', 0, 2 * MIN), 2 * MIN);
    expect(g.tick(6 * MIN).incidents).toEqual([]); // 4 min since the last change
    const done = g.tick(7 * MIN);
    expect(done.incidents[0]!.status).toBe('resolved');
    expect(done.incidents[0]!.timeline.at(-1)!.kind).toBe('resolved');
    const n = done.notifications.map((x) => x.notification);
    expect(n.map((x) => [x.status, x.endsAt, x.sequence])).toEqual([['resolved', 7 * MIN, 2]]);
    expect(g.openIncidents()).toEqual([]);
    // A replayed form of a member of a resolved incident does not reopen anything.
    expect(g.process(change('db', 0, 2 * MIN), 8 * MIN).incidents).toEqual([]);
  });

  it('notifies on material change (severity, root cause) and repeats, not on every member', () => {
    const g = grouper([rule({ criticalScore: 0.999, repeatIntervalMs: 60 * MIN, groupBy: [] })]);
    const first = g.process(change('web', 0, MIN, { tags: { depends_on: 'db' } }), 0).notifications;
    expect(first.map((n) => [n.notification.sequence, n.notification.severity])).toEqual([[1, 'warning']]);
    expect(first[0]!.notification.labels).toMatchObject({ alertname: 'lat', severity: 'warning' });
    expect(first[0]!.notification.annotations.summary).toBe('lat at latency{service="web"} ()');
    expect(first[0]!.notification.dedupKey).toBe(`default/lat/${first[0]!.notification.incidentId}`);
    // web depends on db: db becomes the top root cause → notify.
    const rc = g.process(change('db', MIN, 2 * MIN), MIN).notifications;
    expect(rc.map((n) => n.notification.annotations.root_cause)).toEqual(['latency{service="db"}']);
    // A third member changing neither: nothing sent.
    expect(g.process(change('other', 2 * MIN, 3 * MIN), 2 * MIN).notifications).toEqual([]);
    const crit = g.process(change('x', 3 * MIN, 4 * MIN, { peakScore: 0.9999 }), 3 * MIN).notifications;
    expect(crit.map((n) => [n.notification.sequence, n.notification.severity])).toEqual([[3, 'critical']]);
    g.process(change('y', 4 * MIN, 4 * MIN, { open: true }), 4 * MIN);
    expect(g.tick(62 * MIN).notifications).toEqual([]);
    expect(g.tick(63 * MIN).notifications.map((n) => n.notification.sequence)).toEqual([4]);
  });

  it('honours silences: nothing while muted, the firing once the silence ends, no resolved if never fired', () => {
    const g = grouper();
    const silence = (match: string, endsAt: number) =>
      compileSilence({
        id: 's',
        tenant: 'default',
        createdBy: 't',
        createdMs: 0,
        match,
        startsAt: 0,
        endsAt,
        kind: 'silence',
        comment: '',
      });
    g.setSilences('default', [silence('lat{env="prod"}', 10 * MIN)]);
    expect(g.process(change('db', 0, 0, { open: true }), 0).notifications).toEqual([]);
    expect(g.tick(5 * MIN).notifications).toEqual([]);
    expect(g.tick(10 * MIN).notifications.map((n) => n.notification.status)).toEqual(['firing']);
    // A series silence covering every member also mutes; resolution is sent only after a firing.
    const h = grouper();
    h.setSilences('default', [silence('latency{service="db"}', 60 * MIN)]);
    expect(h.process(change('db', 0, MIN), 0).notifications).toEqual([]);
    expect(h.tick(10 * MIN).notifications).toEqual([]);
    expect(h.tick(10 * MIN).incidents).toEqual([]);
  });

  it('a deleted rule resolves its open incidents and sends the resolution', () => {
    const g = grouper();
    g.process(change('db', 0, 0, { open: true }), 0);
    g.setRules('default', []);
    const out = g.tick(MIN);
    expect(out.incidents[0]!.status).toBe('resolved');
    expect(out.notifications.map((n) => n.notification.status)).toEqual(['resolved']);
  });

  it('snapshot → restore continues exactly as the original', () => {
    const feed = [change('db', 0, 0, { open: true }), change('api', MIN, 2 * MIN), change('db', 0, 3 * MIN)];
    const a = grouper();
    a.process(feed[0]!, 0);
    const b = new IncidentGrouper({}, JSON.parse(JSON.stringify(a.snapshot())));
    b.setRules('default', [rule()]);
    for (const g of [a, b]) g.process(feed[1]!, MIN);
    const outA = [a.process(feed[2]!, 3 * MIN), a.tick(9 * MIN)];
    const outB = [b.process(feed[2]!, 3 * MIN), b.tick(9 * MIN)];
    expect(outB).toEqual(outA);
    expect(outA[1]!.notifications[0]!.notification.status).toBe('resolved');
  });

  it('keeps tenants apart', () => {
    const g = grouper();
    g.setRules('t2', [rule()]);
    const a = g.process(change('db', 0, MIN), 0);
    const b = g.process(change('db', 0, MIN, { tenant: 't2' }), 0);
    expect(a.incidents[0]!.tenant).toBe('default');
    expect(b.incidents[0]!.tenant).toBe('t2');
    expect(b.incidents[0]!.members).toHaveLength(1);
    expect(g.process(change('db', 0, MIN, { tenant: 'nobody' }), 0).incidents).toEqual([]);
  });
});
