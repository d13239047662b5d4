import { describe, expect, it } from 'vitest';
import type { Detector, DetectorState } from '../../../../../src/core/detectors/detector.ts';
import { type DiscordParams, discord } from '../../../../../src/core/detectors/discord/discord.ts';
import { gaussian, prng } from '../fixtures.ts';

function create(params: Partial<DiscordParams> = {}, state?: DetectorState): Detector {
  return discord.create({ ...discord.defaults, ...params }, state);
}

function scores(d: Detector, values: readonly number[]): number[] {
  return values.map((v, i) => d.step!(i, v).score);
}

/** The window the detector chose, in raw points, read back from its snapshot. */
function periodOf(d: Detector): number {
  return (d.snapshot().data as { period: number }).period;
}

/** A noisy periodic signal (a sharp pulse on a sine, like a heartbeat) of period `period`. */
function beats(n: number, period: number, seed: number): number[] {
  const g = gaussian(prng(seed));
  return Array.from({ length: n }, (_, i) => {
    const phase = (i % period) / period;
    return 10 + 3 * Math.sin(2 * Math.PI * phase) + 8 * Math.exp(-(((phase - 0.3) / 0.03) ** 2)) + 0.2 * g();
  });
}

/** Index of the highest score at or after `from`. */
function argmax(s: readonly number[], from: number): number {
  let at = from;
  for (let i = from; i < s.length; i++) if (s[i]! > s[at]!) at = i;
  return at;
}

describe('discord', () => {
  it.each([
    [37, 1],
    [150, 3],
    [300, 5],
  ])('chooses the period of a signal with period %i (downsampled by %i)', (period, factor) => {
    const d = create();
    scores(d, beats(5000, period, 1));
    expect(periodOf(d)).toBe(period);
    expect((d.snapshot().data as { factor: number }).factor).toBe(factor);
  });

  it('falls back to its default window on noise, and scores nothing during the warm-up', () => {
    const g = gaussian(prng(2));
    const d = create();
    const s = scores(
      d,
      Array.from({ length: 5000 }, () => g()),
    );
    expect(periodOf(d)).toBe(discord.defaults.fallbackWindow);
    expect(s.slice(0, discord.defaults.warmup).every((x) => x === 0)).toBe(true);
    expect(s.slice(discord.defaults.warmup).some((x) => x > 0)).toBe(true);
  });

  it.each([50, 240])('ranks one distorted cycle first (period %i)', (period) => {
    const x = beats(12_000, period, 3);
    // One cycle whose pulse comes late and wide: same range of values, another shape.
    const start = 9 * 1000 - ((9 * 1000) % period);
    for (let i = start; i < start + period; i++) {
      const phase = (i - start) / period;
      x[i] = 10 + 3 * Math.sin(2 * Math.PI * phase) + 8 * Math.exp(-(((phase - 0.6) / 0.08) ** 2));
    }
    const s = scores(create(), x);
    const top = argmax(s, 4096);
    expect(top).toBeGreaterThanOrEqual(start);
    expect(top).toBeLessThan(start + 2 * period);
    expect(s[top]!).toBeGreaterThan(0.3);
  });

  it('scores a repeating cycle near 0', () => {
    const s = scores(create(), beats(8000, 80, 4));
    expect(Math.max(...s.slice(5000))).toBeLessThan(0.2);
  });

  it('continues identically after a restore at any point, downsampled or not', () => {
    for (const period of [40, 200]) {
      const x = beats(7000, period, 5);
      const reference = scores(create(), x);
      let d = create();
      const got: number[] = [];
      for (let i = 0; i < x.length; i++) {
        if ([1, 511, 512, 513, 1023, 1024, 2047, 3001, 4095, 4096, 4097, 6003].includes(i)) {
          d = create({}, JSON.parse(JSON.stringify(d.snapshot())) as DetectorState);
        }
        got.push(d.step!(i, x[i]!).score);
      }
      const diff = got.findIndex((s, i) => !Object.is(s, reference[i]));
      expect(diff, `period ${period}`).toBe(-1);
    }
  });

  it('keeps its state within the declared bound on a long series', () => {
    const d = create();
    scores(d, beats(4000, 500, 6));
    const during = JSON.stringify(d.snapshot()).length;
    scores(d, beats(20_000, 500, 7));
    expect(during).toBeLessThanOrEqual(discord.maxStateBytes!);
    expect(JSON.stringify(d.snapshot()).length).toBeLessThanOrEqual(discord.maxStateBytes!);
  });
});
