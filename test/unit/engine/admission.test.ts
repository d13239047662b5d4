/**
 * The per-series clock (admission.ts) past many points: its ring keeps the last RECENT timestamps,
 * in order, however far its write counter has wrapped.
 */
import { describe, expect, it } from 'vitest';
import { accept, admit, newClock, RECENT, recentOf } from '../../../src/engine/admission.ts';

describe('admission clock', () => {
  it('remembers the last RECENT timestamps after many points, oldest first', () => {
    const c = newClock();
    for (let ts = 1; ts <= 1000; ts++) accept(c, ts);
    expect(recentOf(c)).toEqual(Array.from({ length: RECENT }, (_, i) => 1000 - RECENT + 1 + i));
    expect(c.written).toBeLessThan(2 * RECENT);
    expect(admit(c, 1000 - RECENT + 1, 10_000)).toBe('duplicate');
    expect(admit(c, 1000 - RECENT, 10_000)).toBe('too_late');
    expect(admit(c, 1001, 0)).toBe('next');
  });

  it('holds fewer than RECENT until that many came, and a late point takes its place in the ring', () => {
    const c = newClock();
    for (const ts of [10, 20, 30]) accept(c, ts);
    expect(recentOf(c)).toEqual([10, 20, 30]);
    expect(admit(c, 25, 100)).toBe('late');
    accept(c, 25);
    expect(recentOf(c)).toEqual([10, 20, 30, 25]);
    expect(c.lastTs).toBe(30);
    expect(admit(c, 25, 100)).toBe('duplicate');
  });
});
