/** The `feedback` post-rule: what a label suppresses, what a confirmation keeps, memory, undo. */
import { describe, expect, it } from 'vitest';
import type { FeedbackExample } from '../../../../src/core/feedback/label.ts';
import { feedbackRule } from '../../../../src/core/pipeline/post-rules/feedback.ts';
import type { ScoredPoint } from '../../../../src/core/point.ts';

const point = (value: number, expected = 10): ScoredPoint => ({
  ts: 0,
  value,
  score: 0.9,
  expected,
  lower: expected - 1,
  upper: expected + 1,
  anomalous: true,
});

const label = (
  id: string,
  l: FeedbackExample['label'],
  peakValue: number,
  peakExpected = 10,
): FeedbackExample => ({
  id,
  label: l,
  start: 1000,
  peakValue,
  peakExpected,
  peakScore: 0.9,
});

const rule = (params: Partial<typeof feedbackRule.defaults> = {}) =>
  feedbackRule.create({ ...feedbackRule.defaults, ...params }, { threshold: 0.5 });

describe('the feedback post-rule', () => {
  it('keeps a suppressed score under the threshold however high it was', () => {
    const r = rule();
    r.feedback!([label('a', 'not_anomaly', 50)]);
    const p = r.step({ ...point(50), score: 1 });
    expect(p.anomalous).toBe(false);
    expect(p.score).toBeLessThan(0.5);
    expect(p.score).toBeGreaterThan(0.49);
  });

  it('passes everything until it has a label', () => {
    const r = rule();
    expect(r.step(point(100))).toEqual(point(100));
  });

  it('damps a point on the same side no farther out than a not_anomaly peak, and nothing beyond it', () => {
    const r = rule();
    r.feedback!([label('a', 'not_anomaly', 50)]);
    const same = r.step(point(50));
    expect(same.anomalous).toBe(false);
    expect(same.score).toBeCloseTo(0.45); // × damping 0.5, under the threshold 0.5
    expect(r.step(point(53)).anomalous).toBe(false); // within the 10 % margin of the deviation (40)
    expect(r.step(point(60)).anomalous).toBe(true); // farther out
    expect(r.step(point(-30)).anomalous).toBe(true); // the other side
  });

  it('expected teaches the same; a confirmed anomaly nearer than any normal label keeps its kind flagged', () => {
    const r = rule();
    r.feedback!([label('a', 'expected', 50), label('b', 'anomaly', 40)]);
    expect(r.step(point(49)).anomalous).toBe(false); // nearer the expected peak
    expect(r.step(point(41)).anomalous).toBe(true); // nearer the confirmed one
  });

  it('a label suppresses for `memory` points after it is learnt', () => {
    const r = rule({ memory: 3 });
    r.feedback!([label('a', 'not_anomaly', 50)]);
    expect([1, 2, 3, 4, 5].map(() => r.step(point(50)).anomalous)).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('holds the labels in its snapshot, restores them, and forgets a removed one (undo)', () => {
    const r = rule();
    r.step(point(11));
    r.feedback!([label('a', 'not_anomaly', 50)]);
    const state = JSON.parse(JSON.stringify(r.snapshot()));
    expect(state).toMatchObject({
      stage: 'feedback',
      data: { seen: 1, examples: [{ id: 'a', label: 'not_anomaly', peakValue: 50, learntAt: 1 }] },
    });
    const restored = feedbackRule.create(feedbackRule.defaults, { threshold: 0.5 }, state);
    expect(restored.step(point(50)).anomalous).toBe(false);
    restored.feedback!([]);
    expect(restored.step(point(50)).anomalous).toBe(true);
    expect(restored.snapshot()).toMatchObject({ data: { examples: [] } });
  });

  it('keeps a label it already holds at its first learning point when the set is sent again', () => {
    const r = rule({ memory: 2 });
    r.feedback!([label('a', 'not_anomaly', 50)]);
    for (let i = 0; i < 3; i++) r.step(point(11));
    r.feedback!([label('a', 'not_anomaly', 50)]); // e.g. after a restart
    expect(r.step(point(50)).anomalous).toBe(true);
  });

  it('judges a point without an expected value by its value', () => {
    const r = rule();
    r.feedback!([label('a', 'not_anomaly', 50, Number.NaN)]);
    expect(r.step(point(45, Number.NaN)).anomalous).toBe(false);
    expect(r.step(point(80, Number.NaN)).anomalous).toBe(true);
    expect(JSON.stringify(r.snapshot())).toContain('"peakExpected":null');
  });
});
