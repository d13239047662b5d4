/**
 * One bounded HTTP POST of a notifier, classified for delivery: 2xx is sent; a network error, a
 * timeout, 408, 425, 429 and 5xx are worth retrying (with the receiver's Retry-After, in seconds or
 * as an HTTP date); any other status, redirects included (never followed: a receiver that moved
 * is a configuration to fix), fails for good. The timeout covers the whole exchange, reading the
 * answer too, so a hung receiver costs one attempt its timeout and nothing more.
 */
import type { SendOutcome } from '../../ports/notifier.ts';

export interface Post {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** How much of a refusing receiver's answer an attempt keeps as its error. */
const ERROR_BODY_CHARS = 300;

export async function post(p: Post): Promise<SendOutcome> {
  const timeout = AbortSignal.timeout(p.timeoutMs);
  const signal = p.signal === undefined ? timeout : AbortSignal.any([p.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(p.url, {
      method: 'POST',
      body: p.body,
      headers: p.headers,
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    return { outcome: 'retry', error: describe(err, timeout, p.timeoutMs) };
  }
  let text = '';
  try {
    text = await res.text();
  } catch (err) {
    // The status decides; a 2xx whose body stalled was still accepted.
    if (!res.ok) return { outcome: 'retry', status: res.status, error: describe(err, timeout, p.timeoutMs) };
  }
  return classify(res.status, res.headers.get('retry-after'), text, Date.now());
}

export function classify(
  status: number,
  retryAfter: string | null,
  body: string,
  nowMs: number,
): SendOutcome {
  if (status >= 200 && status < 300) return { outcome: 'sent', status };
  const error = `HTTP ${status}${body.trim() === '' ? '' : `: ${body.trim().slice(0, ERROR_BODY_CHARS)}`}`;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    const wait = retryAfterMs(retryAfter, nowMs);
    return { outcome: 'retry', status, error, ...(wait !== undefined ? { retryAfterMs: wait } : {}) };
  }
  return { outcome: 'failed', status, error };
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // An HTTP date names its weekday and month; Date.parse alone would read '-5' as a year.
  if (!/^[A-Za-z]{3}, /.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function describe(err: unknown, timeout: AbortSignal, timeoutMs: number): string {
  if (timeout.aborted) return `no answer within ${timeoutMs} ms`;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'AbortError') return 'aborted (shutting down)';
  const cause = e.cause?.code ?? e.cause?.message;
  return cause === undefined ? String(e.message ?? err) : `${e.message}: ${cause}`;
}
