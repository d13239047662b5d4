/**
 * Contract of the FeedbackStore port: labels are stored durably as given (floats exact, a missing
 * expected value kept), one per anomaly, confined to their tenant; a series' labels come newest
 * last; every change gives its series a new, larger change number that `changedSince` reports
 * once per series in change order; deleting series deletes their labels.
 */
import { describe, expect, it } from 'vitest';
import type { FeedbackRecord, FeedbackStore } from '../../src/ports/feedback-store.ts';
import type { Reopenable } from './fixtures.ts';

export interface FeedbackUnderTest extends Reopenable<FeedbackUnderTest> {
  feedback: FeedbackStore;
}

const label = (id: string, seriesId: number, start: number, extra: Partial<FeedbackRecord> = {}) =>
  ({
    id,
    tenant: 'a',
    seriesId,
    anomalyStart: start,
    label: 'not_anomaly',
    note: `note ${id}`,
    actor: 'key:k1',
    createdMs: 1_000 + start,
    peakValue: 500.25,
    peakExpected: 10.5,
    peakScore: 0.9999,
    ...extra,
  }) satisfies FeedbackRecord;

export function feedbackStoreContract(name: string, open: () => Promise<FeedbackUnderTest>): void {
  describe(`FeedbackStore contract: ${name}`, () => {
    it('stores labels durably and exactly, newest first, filtered by series, within a tenant', async () => {
      let s = await open();
      const odd = label('f3', 2, 30, {
        peakValue: 0.1 + 0.2,
        peakExpected: Number.NaN,
        peakScore: 1 - Number.EPSILON,
      });
      await s.feedback.put([label('f1', 1, 10), label('f2', 1, 20, { label: 'anomaly' })]);
      await s.feedback.put([odd, label('g1', 1, 40, { tenant: 'b' })]);
      s = await s.reopen();
      expect(await s.feedback.get('a', 'f3')).toEqual(odd);
      expect(await s.feedback.get('a', 'f2')).toEqual(label('f2', 1, 20, { label: 'anomaly' }));
      const ids = async (q: Parameters<FeedbackStore['list']>[0]) =>
        (await s.feedback.list(q)).map((r) => r.id);
      expect(await ids({ tenant: 'a', limit: 10 })).toEqual(['f3', 'f2', 'f1']);
      expect(await ids({ tenant: 'a', limit: 2 })).toEqual(['f3', 'f2']);
      expect(await ids({ tenant: 'a', seriesIds: [1], limit: 10 })).toEqual(['f2', 'f1']);
      expect(await ids({ tenant: 'a', seriesIds: [], limit: 10 })).toEqual([]);
      expect(await ids({ tenant: 'b', limit: 10 })).toEqual(['g1']);
      expect(await ids({ tenant: 'c', limit: 10 })).toEqual([]);
      await s.close();
    });

    it('keeps one label per anomaly: labelling it again replaces the label and its id', async () => {
      let s = await open();
      await s.feedback.put([label('f1', 1, 10)]);
      await s.feedback.put([label('f9', 1, 10, { label: 'expected', createdMs: 5_000 })]);
      // A repeated write (a lost COMMIT reply) changes nothing.
      await s.feedback.put([label('f9', 1, 10, { label: 'expected', createdMs: 5_000 })]);
      s = await s.reopen();
      expect(await s.feedback.get('a', 'f1')).toBeUndefined();
      expect((await s.feedback.list({ tenant: 'a', limit: 10 })).map((r) => [r.id, r.label])).toEqual([
        ['f9', 'expected'],
      ]);
      await s.close();
    });

    it("never shows or removes another tenant's label", async () => {
      const s = await open();
      await s.feedback.put([label('f1', 1, 10), label('g1', 2, 10, { tenant: 'b' })]);
      expect(await s.feedback.get('b', 'f1')).toBeUndefined();
      expect(await s.feedback.remove('b', 'f1')).toBe(false);
      expect(await s.feedback.get('a', 'f1')).toBeDefined();
      expect(await s.feedback.remove('a', 'f1')).toBe(true);
      expect(await s.feedback.remove('a', 'f1')).toBe(false);
      expect(await s.feedback.get('a', 'f1')).toBeUndefined();
      expect(await s.feedback.get('b', 'g1')).toBeDefined();
      await s.close();
    });

    it("gives a series' newest labels oldest first, and remembers series whose labels were removed", async () => {
      let s = await open();
      await s.feedback.put([label('f1', 1, 10), label('f2', 1, 20), label('f3', 1, 30), label('h1', 2, 10)]);
      expect((await s.feedback.forSeries(1, 2)).map((r) => r.id)).toEqual(['f2', 'f3']);
      expect((await s.feedback.forSeries(1, 10)).map((r) => r.id)).toEqual(['f1', 'f2', 'f3']);
      expect(await s.feedback.remove('a', 'h1')).toBe(true);
      s = await s.reopen();
      expect(await s.feedback.forSeries(2, 10)).toEqual([]);
      expect(await s.feedback.labelledSeries()).toEqual([1, 2]);
      await s.close();
    });

    it('reports each changed series once, in change order, after a change number', async () => {
      let s = await open();
      expect(await s.feedback.lastChange()).toBe(0);
      expect(await s.feedback.changedSince(0, 10)).toEqual([]);
      await s.feedback.put([label('f1', 1, 10), label('f2', 1, 20), label('h1', 2, 10)]);
      await s.feedback.put([label('k1', 3, 10)]);
      const first = await s.feedback.changedSince(0, 10);
      expect(first.map((c) => c.seriesId)).toEqual([1, 2, 3]);
      const seqs = first.map((c) => c.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(3);
      const last = await s.feedback.lastChange();
      expect(last).toBe(seqs[2]);
      expect(await s.feedback.changedSince(last, 10)).toEqual([]);
      expect((await s.feedback.changedSince(0, 2)).map((c) => c.seriesId)).toEqual([1, 2]);
      // A removal is a change of its series; series 1 moves after the others.
      expect(await s.feedback.remove('a', 'f1')).toBe(true);
      s = await s.reopen();
      const next = await s.feedback.changedSince(last, 10);
      expect(next.map((c) => c.seriesId)).toEqual([1]);
      expect(next[0]!.seq).toBeGreaterThan(last);
      expect((await s.feedback.changedSince(0, 10)).map((c) => c.seriesId)).toEqual([2, 3, 1]);
      // Numbers keep growing across a reopen.
      await s.feedback.put([label('h2', 2, 20)]);
      const after = await s.feedback.changedSince(next[0]!.seq, 10);
      expect(after.map((c) => c.seriesId)).toEqual([2]);
      expect(after[0]!.seq).toBeGreaterThan(next[0]!.seq);
      expect(await s.feedback.remove('a', 'nope')).toBe(false);
      expect(await s.feedback.changedSince(after[0]!.seq, 10)).toEqual([]);
      await s.close();
    });

    it('deletes every label of deleted series, idempotently, and forgets them', async () => {
      let s = await open();
      await s.feedback.put([
        label('f1', 1, 10),
        label('f2', 1, 20),
        label('g1', 2, 10, { tenant: 'b' }),
        label('h1', 3, 10),
      ]);
      expect(await s.feedback.deleteSeries([1, 2, 99])).toBe(3);
      expect(await s.feedback.deleteSeries([1, 2])).toBe(0);
      expect(await s.feedback.deleteSeries([])).toBe(0);
      s = await s.reopen();
      expect(await s.feedback.get('a', 'f1')).toBeUndefined();
      expect(await s.feedback.forSeries(1, 10)).toEqual([]);
      expect((await s.feedback.list({ tenant: 'a', limit: 10 })).map((r) => r.id)).toEqual(['h1']);
      expect(await s.feedback.list({ tenant: 'b', limit: 10 })).toEqual([]);
      expect(await s.feedback.labelledSeries()).toEqual([3]);
      expect((await s.feedback.changedSince(0, 10)).map((c) => c.seriesId)).toEqual([3]);
      await s.close();
    });
  });
}
