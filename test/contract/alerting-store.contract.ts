/**
 * Contract of the AlertingStore port: rules, silences and incidents are stored durably as given,
 * every read and change is confined to its tenant, and the alerter state is saved together with
 * its incidents.
 */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/core/alerting/incident.ts';
import { parseAlertRule } from '../../src/core/alerting/rule.ts';
import type { Silence } from '../../src/core/alerting/silences.ts';
import type { AlertingStore } from '../../src/ports/alerting-store.ts';
import type { Reopenable } from './fixtures.ts';

export interface AlertingUnderTest extends Reopenable<AlertingUnderTest> {
  alerting: AlertingStore;
}

const rule = (name: string, extra: Record<string, unknown> = {}) =>
  parseAlertRule({ name, match: 'lat', ...extra });

const silence = (tenant: string, id: string, endsAt: number): Silence => ({
  id,
  tenant,
  match: '{service="db"}',
  startsAt: 0,
  endsAt,
  kind: 'maintenance',
  comment: 'upgrade',
  createdBy: 'ops',
  createdMs: endsAt - 1,
  recurrence: { days: [1, 2], start: '02:00', durationMs: 3_600_000 },
});

const incident = (tenant: string, id: string, startsAt: number, status: 'open' | 'resolved'): Incident => ({
  id,
  tenant,
  rule: 'lat',
  group: { env: 'prod' },
  status,
  severity: 'warning',
  startsAt,
  lastActivityAt: startsAt + 10,
  openedMs: startsAt,
  updatedMs: startsAt,
  members: [],
  droppedMembers: 0,
  timeline: [{ atMs: startsAt, kind: 'opened' }],
  rootCauses: [{ seriesKey: 'lat{service="db"}', rank: 1, score: 0.8, reasons: ['earliest onset'] }],
});

export function alertingStoreContract(name: string, open: () => Promise<AlertingUnderTest>): void {
  describe(`AlertingStore contract: ${name}`, () => {
    it('stores rules per tenant: create, replace, list, delete, durably', async () => {
      let s = await open();
      expect(await s.alerting.putRule('a', rule('r2'))).toBe('created');
      expect(await s.alerting.putRule('a', rule('r1'))).toBe('created');
      expect(await s.alerting.putRule('b', rule('r1', { minScore: 0.5 }))).toBe('created');
      expect(await s.alerting.putRule('a', rule('r1', { severity: 'critical' }))).toBe('replaced');
      s = await s.reopen();
      expect((await s.alerting.listRules('a')).map((r) => [r.name, r.severity])).toEqual([
        ['r1', 'critical'],
        ['r2', 'warning'],
      ]);
      expect(await s.alerting.getRule('b', 'r1')).toEqual(rule('r1', { minScore: 0.5 }));
      expect(await s.alerting.getRule('b', 'r2')).toBeUndefined();
      expect(await s.alerting.deleteRule('b', 'r2')).toBe(false);
      expect(await s.alerting.deleteRule('a', 'r2')).toBe(true);
      expect((await s.alerting.allRules()).map((x) => `${x.tenant}/${x.rule.name}`)).toEqual([
        'a/r1',
        'b/r1',
      ]);
      await s.close();
    });

    it('stores silences per tenant and lists only those not yet ended', async () => {
      let s = await open();
      await s.alerting.createSilence(silence('a', 's1', 1000));
      await s.alerting.createSilence(silence('a', 's2', 5000));
      await s.alerting.createSilence(silence('b', 's3', 5000));
      s = await s.reopen();
      expect(await s.alerting.listSilences('a', 2000)).toEqual([silence('a', 's2', 5000)]);
      expect((await s.alerting.listSilences('a', 0)).map((x) => x.id)).toEqual(['s1', 's2']);
      expect(await s.alerting.deleteSilence('b', 's2')).toBe(false);
      expect(await s.alerting.deleteSilence('a', 's2')).toBe(true);
      expect((await s.alerting.allSilences(0)).map((x) => x.id)).toEqual(['s1', 's3']);
      await s.close();
    });

    it('keeps the latest form of each incident; lists newest first by status and limit', async () => {
      let s = await open();
      await s.alerting.putIncidents([incident('a', 'i1', 100, 'open'), incident('a', 'i2', 200, 'open')]);
      await s.alerting.putIncidents([incident('a', 'i1', 100, 'resolved'), incident('b', 'i3', 300, 'open')]);
      s = await s.reopen();
      expect((await s.alerting.listIncidents('a', { limit: 10 })).map((i) => i.id)).toEqual(['i2', 'i1']);
      expect(
        (await s.alerting.listIncidents('a', { status: 'resolved', limit: 10 })).map((i) => i.id),
      ).toEqual(['i1']);
      expect((await s.alerting.listIncidents('a', { limit: 1 })).map((i) => i.id)).toEqual(['i2']);
      expect(await s.alerting.getIncident('a', 'i1')).toEqual(incident('a', 'i1', 100, 'resolved'));
      expect(await s.alerting.getIncident('a', 'i3')).toBeUndefined();
      await s.close();
    });

    it('saves the alerter state with its incidents', async () => {
      let s = await open();
      expect(await s.alerting.loadAlerterState()).toBeUndefined();
      await s.alerting.saveAlerterState('{"v":1}', [incident('a', 'i9', 900, 'open')]);
      await s.alerting.saveAlerterState('{"v":2}', []);
      s = await s.reopen();
      expect(await s.alerting.loadAlerterState()).toBe('{"v":2}');
      expect((await s.alerting.getIncident('a', 'i9'))?.startsAt).toBe(900);
      await s.close();
    });
  });
}
