/**
 * A thin client of Vigil's own HTTP API over `fetch`, for commands that work on a running Vigil
 * (`vigil train`): GETs with the API key as a Bearer token, JSON answers.
 *
 * Failures: a connection that cannot be made or outlasts `timeoutMs`, and any 5xx, fail with
 * VIGIL_ERR_UNAVAILABLE (retriable), naming the URL; a 4xx is Vigil's own error (its code and
 * message, `field` kept), so the caller sees what the server said.
 */
import { ERRORS, type ErrorCode, VigilError } from '../../core/errors.ts';

export interface VigilApiConfig {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  url: string;
  apiKey?: string;
  timeoutMs?: number;
}

export class VigilApiClient {
  readonly base: string;
  readonly #apiKey: string | undefined;
  readonly #timeoutMs: number;

  constructor(config: VigilApiConfig) {
    let u: URL;
    try {
      u = new URL(config.url);
    } catch {
      throw new VigilError('VIGIL_ERR_BAD_REQUEST', `url: "${config.url}" is not a URL`, {
        location: { field: 'url' },
      });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new VigilError('VIGIL_ERR_BAD_REQUEST', `url: "${config.url}" must be http:// or https://`, {
        location: { field: 'url' },
      });
    }
    this.base = u.href.replace(/\/+$/, '');
    this.#apiKey = config.apiKey;
    this.#timeoutMs = config.timeoutMs ?? 60_000;
  }

  /** GET `path` with `query`; the parsed JSON answer. */
  async get<T>(path: string, query: Record<string, string | number | undefined>): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
    const url = `${this.base}${path}?${qs}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: {
          accept: 'application/json',
          ...(this.#apiKey !== undefined ? { authorization: `Bearer ${this.#apiKey}` } : {}),
        },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new VigilError('VIGIL_ERR_UNAVAILABLE', `Vigil at ${this.base} unreachable (${why})`, {
        cause: err,
      });
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    let body: { code?: string; error?: string; field?: string } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {}
    const message = `Vigil at ${this.base} answered ${res.status} to GET ${path}: ${body.error ?? text.slice(0, 200)}`;
    if (res.status >= 500) throw new VigilError('VIGIL_ERR_UNAVAILABLE', message);
    const code: ErrorCode =
      body.code !== undefined && body.code in ERRORS ? (body.code as ErrorCode) : 'VIGIL_ERR_BAD_REQUEST';
    throw new VigilError(
      code,
      message,
      body.field !== undefined ? { location: { field: body.field } } : undefined,
    );
  }
}
