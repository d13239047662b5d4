import { describe, expect, it } from 'vitest';
import { EvidenceTier } from '../../../../../src/core/detectors/vigil/evidence-tier.ts';
import { RepeatMask } from '../../../../../src/core/detectors/vigil/repeat-mask.ts';

describe('RepeatMask', () => {
  it('damps an event no stronger than one of the last `window`, and restores from its JSON', () => {
    const m = new RepeatMask(2, 0.1);
    expect(m.damp(0.5)).toBe(0.5);
    m.push(0.5);
    expect(m.damp(0.5)).toBeCloseTo(0.05, 15);
    expect(m.damp(0.6)).toBe(0.6);
    expect(m.damp(0)).toBe(0);
    m.push(0);
    const copy = new RepeatMask(2, 0.1, m.toJSON());
    expect(copy.damp(0.4)).toBeCloseTo(0.04, 15);
    m.push(0);
    expect(m.damp(0.4)).toBe(0.4); // 0.5 has left the window
  });

  it('does nothing with window 0', () => {
    const m = new RepeatMask(0, 0.1);
    m.push(0.9);
    expect(m.damp(0.5)).toBe(0.5);
    expect(m.toJSON()).toEqual([]);
  });
});

describe('EvidenceTier', () => {
  it('scores weight × evidence, damped by 1 − e^(−gap/τ) after an alarm', () => {
    const t = new EvidenceTier(0.1, 0.5, 10);
    expect(t.score(0.4)).toBeCloseTo(0.04, 15);
    t.observe(false, false, 0.4); // below the alarm level: no alarm
    expect(t.score(0.4)).toBeCloseTo(0.04, 15);
    t.observe(false, true, 0.9); // an event below the refractory level: not the tier's alarm
    expect(t.score(0.4)).toBeCloseTo(0.04, 15);
    t.observe(false, false, 0.6); // alarm
    expect(t.score(0.4)).toBeCloseTo(0.04 * (1 - Math.exp(-1 / 10)), 15);
    t.observe(false, false, 0);
    expect(new EvidenceTier(0.1, 0.5, 10, t.toJSON()).score(0.4)).toBe(t.score(0.4));
    t.observe(true, true, 0); // an event above the refractory level
    expect(t.score(1)).toBeCloseTo(0.1 * (1 - Math.exp(-1 / 10)), 15);
  });

  it('is off at weight 0 and undamped at τ 0', () => {
    expect(new EvidenceTier(0, 0.5, 10).score(1)).toBe(0);
    expect(new EvidenceTier(0.1, 0.5, 0, 0).score(1)).toBeCloseTo(0.1, 15);
  });
});
