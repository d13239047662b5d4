/**
 * Contract of the AuditLog port: events are kept as given, durably, in the order recorded; a
 * query sees only its tenant's events, newest first, filtered by time, actor and action prefix;
 * another handle on the same log (the CLI beside the server, another API replica) appends to and
 * reads the same log.
 */
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../src/core/audit.ts';
import type { AuditLog } from '../../src/ports/audit-log.ts';
import type { Reopenable } from './fixtures.ts';

export interface AuditUnderTest extends Reopenable<AuditUnderTest> {
  audit: AuditLog;
  /** Another handle on the same log, as another process would have. */
  other(): Promise<AuditLog>;
}

const event = (ts: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  ts,
  tenant: 'default',
  actor: 'key:00000000000000aa',
  action: 'PUT /api/v1/series/config',
  target: '{"query":{"series":"cpu,host=a"}}',
  detail: '{"threshold":0.9}',
  status: 200,
  remote: '127.0.0.1',
  ...extra,
});

export function auditLogContract(name: string, open: () => Promise<AuditUnderTest>): void {
  describe(`AuditLog contract: ${name}`, () => {
    it('keeps events as given, durably, newest first, each with an ascending id', async () => {
      let s = await open();
      const a = event(1_000);
      const b = event(2_000, { actor: 'anonymous', action: 'POST /api/v1/keys', status: 201 });
      await s.audit.record(a);
      await s.audit.record(b);
      s = await s.reopen();
      const got = await s.audit.query({ tenant: 'default', limit: 10 });
      expect(got.map(({ id: _, ...e }) => e)).toEqual([b, a]);
      expect(got[0]!.id).toBeGreaterThan(got[1]!.id);
      await s.close();
    });

    it("a query sees only its tenant's events, filtered by time, actor and action prefix", async () => {
      const s = await open();
      try {
        await s.audit.record(event(1_000));
        await s.audit.record(event(2_000, { tenant: 'team-b' }));
        await s.audit.record(event(3_000, { actor: 'cli:root', action: 'keys.create' }));
        await s.audit.record(event(4_000, { action: 'DELETE /api/v1/keys/:id' }));
        const ts = async (q: object) =>
          (await s.audit.query({ tenant: 'default', limit: 10, ...q })).map((e) => e.ts);
        expect(await ts({})).toEqual([4_000, 3_000, 1_000]);
        expect((await s.audit.query({ tenant: 'team-b', limit: 10 })).map((e) => e.ts)).toEqual([2_000]);
        expect(await s.audit.query({ tenant: 'nobody', limit: 10 })).toEqual([]);
        expect(await ts({ from: 3_000 })).toEqual([4_000, 3_000]);
        expect(await ts({ to: 3_000 })).toEqual([1_000]);
        expect(await ts({ actor: 'cli:root' })).toEqual([3_000]);
        expect(await ts({ actionPrefix: 'keys.' })).toEqual([3_000]);
        // A prefix is literal: `_` and `%` match themselves only.
        expect(await ts({ actionPrefix: 'PUT /api/v1/series_' })).toEqual([]);
        expect(await ts({ actionPrefix: 'DELETE /api/v1/keys/' })).toEqual([4_000]);
        expect(await ts({ limit: 2 })).toEqual([4_000, 3_000]);
      } finally {
        await s.close();
      }
    });

    it('another handle appends to and reads the same log', async () => {
      const s = await open();
      const other = await s.other();
      try {
        await other.record(event(5_000, { actor: 'cli:ops' }));
        await s.audit.record(event(6_000));
        expect((await s.audit.query({ tenant: 'default', limit: 10 })).map((e) => e.actor)).toEqual([
          'key:00000000000000aa',
          'cli:ops',
        ]);
        expect((await other.query({ tenant: 'default', limit: 10 })).length).toBe(2);
      } finally {
        await other.close();
        await s.close();
      }
    });
  });
}
