/** Contract of the Log port: every adapter (SQLite, Kafka) runs this same suite. */
import { describe, expect, it } from 'vitest';
import type { Log } from '../../src/ports/log.ts';
import { batch, type Reopenable } from './fixtures.ts';

export interface LogUnderTest extends Reopenable<LogUnderTest> {
  log: Log;
}

export function logContract(name: string, open: () => Promise<LogUnderTest>): void {
  describe(`Log contract: ${name}`, () => {
    it('offsets increase, entries read back in order and survive a restart', async () => {
      let s = await open();
      const o1 = await s.log.append([batch([1, 2], 1000), batch([3], 2000)]);
      const o2 = await s.log.append([batch([4], 3000)]);
      expect(o1[0]).toBeGreaterThan(0);
      expect(o1[1]).toBe(o1[0]! + 1);
      expect(o2[0]).toBe(o1[1]! + 1);
      expect(await s.log.endOffset()).toBe(o2[0]);
      s = await s.reopen();
      expect(await s.log.endOffset()).toBe(o2[0]);
      const entries = await s.log.read(0, 10);
      expect(entries.map((e) => e.offset)).toEqual([...o1, ...o2]);
      expect([...entries[0]!.batch.seriesIds]).toEqual([1, 2]);
      expect([...entries[0]!.batch.ts]).toEqual([1000, 1001]);
      expect([...entries[0]!.batch.values]).toEqual([100, 201]);
      expect((await s.log.read(o1[1]!, 10)).map((e) => e.offset)).toEqual(o2);
      expect((await s.log.read(0, 2)).map((e) => e.offset)).toEqual(o1);
      expect(await s.log.read(o2[0]!, 10)).toEqual([]);
      await s.close();
    });

    it('an empty log has end offset 0 and reads nothing', async () => {
      const s = await open();
      expect(await s.log.endOffset()).toBe(0);
      expect(await s.log.read(0, 10)).toEqual([]);
      await s.close();
    });

    it('values round-trip exactly (floats, negative zero, large timestamps)', async () => {
      const s = await open();
      const b = {
        seriesIds: Int32Array.from([7, 2147483647, 0]),
        ts: Float64Array.from([1.7e12 + 0.5, 253402300799999, 0]),
        values: Float64Array.from([0.1 + 0.2, -0, -1.7976931348623157e308]),
      };
      const [o] = await s.log.append([b]);
      const [e] = await s.log.read(o! - 1, 1);
      expect([...e!.batch.seriesIds]).toEqual([...b.seriesIds]);
      expect([...e!.batch.ts]).toEqual([...b.ts]);
      expect(Object.is(e!.batch.values[1], -0)).toBe(true);
      expect([...e!.batch.values]).toEqual([...b.values]);
      await s.close();
    });

    it('truncate drops covered entries but offsets keep increasing after a restart', async () => {
      let s = await open();
      const o = await s.log.append([batch([1], 0), batch([1], 10), batch([1], 20)]);
      await s.log.truncate(o[1]!);
      expect((await s.log.read(0, 10)).map((e) => e.offset)).toEqual([o[2]]);
      s = await s.reopen();
      expect((await s.log.read(0, 10)).map((e) => e.offset)).toEqual([o[2]]);
      const next = await s.log.append([batch([1], 30)]);
      expect(next[0]).toBe(o[2]! + 1);
      await s.close();
    });
  });
}
