/**
 * Contract of the PartitionedLog port (memory and Kafka): atomic appends read back in order per
 * partition, start offsets chosen by the owner or taken from the group's commits, and a hand-over
 * that revokes a partition before anyone else is given it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { GroupHandlers, InRecord, PartitionedLog } from '../../src/ports/partitioned-log.ts';

export interface PartitionedLogUnderTest {
  log: PartitionedLog;
  /** A topic name of its own for this test. */
  topic(name: string): string;
  close(): Promise<void>;
}

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Handlers that record what they receive; `start` answers startOffset. */
function member(name: string, events: string[], start: (p: number) => number | undefined = () => undefined) {
  const got = new Map<number, InRecord[]>();
  const owned = new Set<number>();
  const handlers: GroupHandlers = {
    assigned: async (ps) => {
      for (const p of ps) owned.add(p);
      events.push(`${name}+${[...ps].sort().join(',')}`);
    },
    startOffset: async (p) => start(p),
    records: async (p, rs) => {
      got.set(p, [...(got.get(p) ?? []), ...rs]);
    },
    revoked: async (ps) => {
      for (const p of ps) owned.delete(p);
      events.push(`${name}-${[...ps].sort().join(',')}`);
    },
  };
  const count = () => [...got.values()].reduce((n, rs) => n + rs.length, 0);
  return { handlers, got, owned, count };
}

export function partitionedLogContract(name: string, open: () => Promise<PartitionedLogUnderTest>): void {
  describe(`PartitionedLog contract: ${name}`, () => {
    it('appends read back whole and in order per partition, from the owner-chosen offset', async () => {
      const s = await open();
      const t = s.topic('order');
      await s.log.ensureTopic(t, 3);
      await s.log.ensureTopic(t, 3); // idempotent
      for (let i = 0; i < 4; i++) {
        await s.log.append(t, [
          { partition: 0, value: bytes(`a${i}`) },
          { partition: 2, value: bytes(`c${i}`) },
          { partition: 2, value: bytes(`c${i}'`) },
        ]);
      }
      const events: string[] = [];
      const m = member('m', events);
      const g = await s.log.join(`${t}-g`, t, m.handlers);
      await until('records', () => m.count() === 4 + 8);
      const values = (rs: readonly InRecord[]) => rs.map((r) => text(r.value));
      expect(values(m.got.get(0)!)).toEqual(['a0', 'a1', 'a2', 'a3']);
      expect(values(m.got.get(2)!)).toEqual(['c0', "c0'", 'c1', "c1'", 'c2', "c2'", 'c3', "c3'"]);
      // Offsets increase (Kafka's transaction markers take offsets too, so they may skip).
      for (const rs of m.got.values()) {
        for (let i = 1; i < rs.length; i++) expect(rs[i]!.offset).toBeGreaterThan(rs[i - 1]!.offset);
      }
      // Another group whose owner starts partition 2 at the 4th record's offset reads from there.
      const from = m.got.get(2)![3]!.offset;
      const m2 = member('m2', [], (p) => (p === 2 ? from : undefined));
      const g2 = await s.log.join(`${t}-g2`, t, m2.handlers);
      await until('records from the chosen offset', () => m2.count() === 4 + 5);
      expect(values(m2.got.get(2)!)).toEqual(["c1'", 'c2', "c2'", 'c3', "c3'"]);
      await g2.close();
      expect(m.got.has(1)).toBe(false);
      // Records appended while a member reads arrive too.
      await s.log.append(t, [{ partition: 1, value: bytes('b0') }]);
      await until('a later record', () => m.got.get(1)?.length === 1);
      await g.close();
      expect(events).toEqual(['m+0,1,2', 'm-0,1,2']);
      await s.close();
    });

    it("a new member without a start offset resumes from the group's committed offset", async () => {
      const s = await open();
      const t = s.topic('commit');
      await s.log.ensureTopic(t, 1);
      await s.log.append(
        t,
        Array.from({ length: 6 }, (_, i) => ({ partition: 0, value: bytes(`r${i}`) })),
      );
      const first = member('a', []);
      const g1 = await s.log.join(`${t}-g`, t, first.handlers);
      await until('first read', () => first.count() === 6);
      const read = first.got.get(0)!;
      await g1.commit(0, read[4]!.offset);
      await g1.close();
      const second = member('b', []);
      const g2 = await s.log.join(`${t}-g`, t, second.handlers);
      await until('second read', () => second.count() === 2);
      expect(second.got.get(0)!.map((r) => text(r.value))).toEqual(['r4', 'r5']);
      await g2.close();
      await s.close();
    });

    it('members split the partitions; a leaving member revokes before the other is assigned', async () => {
      const s = await open();
      const t = s.topic('split');
      await s.log.ensureTopic(t, 4);
      const events: string[] = [];
      const a = member('a', events);
      const ga = await s.log.join(`${t}-g`, t, a.handlers);
      await until('a owns all', () => a.owned.size === 4);
      const b = member('b', events);
      const gb = await s.log.join(`${t}-g`, t, b.handlers);
      await until('b owns some', () => b.owned.size > 0 && a.owned.size + b.owned.size === 4);
      expect([...a.owned].filter((p) => b.owned.has(p))).toEqual([]);
      await ga.close();
      await until('b owns all', () => b.owned.size === 4);
      // Replaying the events, no partition is ever assigned while another member still holds it.
      const owner = new Map<string, string>();
      for (const e of events) {
        const who = e[0]!;
        for (const p of e.slice(2).split(',')) {
          if (e[1] === '+') {
            expect(owner.get(p), `${e} while ${owner.get(p)} holds ${p}`).toBeUndefined();
            owner.set(p, who);
          } else owner.delete(p);
        }
      }
      expect(events.filter((e) => e.startsWith('a-')).length).toBeGreaterThan(0);
      await gb.close();
      await s.close();
    });
  });
}
