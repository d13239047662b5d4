/**
 * NAB's timestamps: `YYYY-MM-DD HH:MM:SS` with an optional fraction (labels carry microseconds).
 * They have no zone; Vigil reads them as UTC so that equal strings give equal numbers and
 * daylight-saving repeats stay repeats.
 */
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?$/;

/** Epoch milliseconds (fractional below 1 ms), or NaN when `s` is not a NAB timestamp. */
export function parseNabTimestamp(s: string): number {
  const m = PATTERN.exec(s.trim());
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi, sec, frac] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  return frac === undefined ? ms : ms + Number(frac) * 1000;
}
