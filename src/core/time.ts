/**
 * Timestamp parsing shared by every ingest format. Accepts epoch milliseconds (number) or an
 * RFC 3339 string; returns NaN for anything else so callers can report the field precisely.
 */
import { MAX_TS, MIN_TS } from './point.ts';

// RFC 3339: date, 'T' or space, time with optional fraction, and a mandatory offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseRfc3339(s: string): number {
  const m = RFC3339.exec(s);
  if (m === null) return Number.NaN;
  const [, y, mo, d, h, mi, sec, frac, off] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(sec);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return Number.NaN;
  const base = Date.UTC(Number(y), month - 1, day, hour, minute, Math.min(second, 59));
  const dim = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  if (day > dim) return Number.NaN;
  let ms = base + (frac === undefined ? 0 : Math.floor(Number(frac) * 1000));
  if (off !== 'Z' && off !== 'z') {
    const sign = off![0] === '-' ? -1 : 1;
    const oh = Number(off!.slice(1, 3));
    const om = Number(off!.slice(4, 6));
    if (oh > 23 || om > 59) return Number.NaN;
    ms -= sign * (oh * 60 + om) * 60000;
  }
  return ms;
}

/**
 * True for a number of epoch milliseconds that is almost surely epoch *seconds* of 2001..5138:
 * read as ms it falls in 1970-01-12..1973-03-03, where no live metric is. Ingest of a numeric
 * timestamp refuses it instead of storing the point in 1970.
 */
export function looksLikeSeconds(ms: number): boolean {
  return ms >= 1e9 && ms < 1e11;
}

/** Epoch ms from a JSON value: an integer-valued number or an RFC 3339 string, within range. */
export function parseTimestamp(v: unknown): number {
  let ts: number;
  if (typeof v === 'number') ts = v;
  else if (typeof v === 'string') ts = parseRfc3339(v);
  else return Number.NaN;
  if (!Number.isFinite(ts) || ts < MIN_TS || ts > MAX_TS) return Number.NaN;
  return Math.floor(ts);
}
