/**
 * The UI's client of Vigil's JSON API. The API key lives in sessionStorage (gone with the tab) and
 * goes out as `Authorization: Bearer`. A 401 fires `vigil:login` on window so the shell shows the
 * login form; every other error becomes an ApiError carrying the API's code and field.
 */

const KEY = 'vigil.apiKey';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly field: string | undefined;
  constructor(status: number, message: string, code: string | undefined, field: string | undefined) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

export function apiKey(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}

/** A query string from defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) p.set(k, String(v));
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = apiKey();
  if (key !== null) headers.set('authorization', `Bearer ${key}`);
  if (init.body !== undefined) headers.set('content-type', 'application/json');
  return checked(await fetch(path, { ...init, headers }));
}

/** The response when it is a 2xx; otherwise the ApiError (and, for a 401, `vigil:login`). */
async function checked(r: Response): Promise<Response> {
  if (r.ok) return r;
  if (r.status === 401) window.dispatchEvent(new Event('vigil:login'));
  const body = (await r.json().catch(() => ({}))) as { error?: string; code?: string; field?: string };
  throw new ApiError(r.status, body.error ?? `${r.status} ${r.statusText}`, body.code, body.field);
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await call(path, signal !== undefined ? { signal } : {})).json() as Promise<T>;
}

/** getJson's answer for a request already sent (early.ts: the one the page shell started). */
export async function getJsonFrom<T>(response: Promise<Response>): Promise<T> {
  return (await checked(await response)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await call(path)).text();
}

export async function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const r = await call(path, { method, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await r.text();
  return (text === '' ? {} : JSON.parse(text)) as T;
}
