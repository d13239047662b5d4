/**
 * A thin client for the slice of MLflow's REST API the registry adapter calls (over fetch; no SDK).
 * Errors map into the catalogue:
 *
 * - no connection, a timeout or a 5xx: VIGIL_ERR_UNAVAILABLE (retriable); idempotent calls are
 *   tried `retries` more times first, with a short backoff, so one failed try is not an outage;
 * - MLflow's RESOURCE_DOES_NOT_EXIST: VIGIL_ERR_UNKNOWN_MODEL;
 * - any other 4xx: VIGIL_ERR_BAD_MODEL with MLflow's message.
 *
 * Every error is an MlflowError, which keeps MLflow's `error_code` for callers that expect one
 * (RESOURCE_ALREADY_EXISTS when a model is created twice).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorCode, VigilError } from '../../core/errors.ts';
import type { ResolvedMlflowConfig } from './config.ts';

export class MlflowError extends VigilError {
  /** MLflow's `error_code` (`RESOURCE_DOES_NOT_EXIST`, …), or undefined when the server never answered. */
  readonly mlflowCode: string | undefined;
  constructor(code: ErrorCode, message: string, mlflowCode?: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.mlflowCode = mlflowCode;
  }
}

export const mlflowCodeOf = (err: unknown): string | undefined =>
  err instanceof MlflowError ? err.mlflowCode : undefined;

interface CallOptions {
  /** Safe to send twice (reads, puts of the same value): tried again on UNAVAILABLE. */
  idempotent?: boolean;
}

type Query = Record<string, string | number | undefined>;

/** One artifact directory entry of `GET /api/2.0/mlflow-artifacts/artifacts?path=`. */
export interface ArtifactEntry {
  path: string;
  is_dir?: boolean;
  file_size?: number | string;
}

export class MlflowClient {
  readonly #config: ResolvedMlflowConfig;

  constructor(config: ResolvedMlflowConfig) {
    this.#config = config;
  }

  get url(): string {
    return this.#config.url;
  }

  /** `GET /api/2.0/mlflow/<path>?query`. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.#json<T>('GET', `/api/2.0/mlflow/${path}${qs(query)}`, undefined, { idempotent: true });
  }

  /** `POST /api/2.0/mlflow/<path>` with a JSON body. */
  post<T>(path: string, body: unknown, opts: CallOptions = {}): Promise<T> {
    return this.#json<T>('POST', `/api/2.0/mlflow/${path}`, body, opts);
  }

  /** `DELETE` or `PATCH /api/2.0/mlflow/<path>` with a JSON body (MLflow reads their fields from the body). */
  send<T>(method: 'DELETE' | 'PATCH', path: string, body: unknown): Promise<T> {
    return this.#json<T>(method, `/api/2.0/mlflow/${path}`, body, { idempotent: true });
  }

  /** Uploads one file through the artifacts proxy; `path` is relative to the artifact root. */
  async putArtifact(path: string, bytes: Uint8Array): Promise<void> {
    await this.#request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`, bytes, {
      idempotent: true,
    });
  }

  /** Downloads one file through the artifacts proxy. */
  async getArtifact(path: string): Promise<Uint8Array> {
    const res = await this.#request(
      'GET',
      `/api/2.0/mlflow-artifacts/artifacts/${encodePath(path)}`,
      undefined,
      {
        idempotent: true,
      },
    );
    return new Uint8Array(res.body);
  }

  /** The entries of one artifact directory (not recursive); an absent directory lists empty. */
  async listArtifacts(path: string): Promise<ArtifactEntry[]> {
    const res = await this.#request('GET', `/api/2.0/mlflow-artifacts/artifacts${qs({ path })}`, undefined, {
      idempotent: true,
    });
    const json = parse(res.body, 'artifacts list') as { files?: ArtifactEntry[] };
    return json.files ?? [];
  }

  async #json<T>(method: string, path: string, body: unknown, opts: CallOptions): Promise<T> {
    const res = await this.#request(
      method,
      path,
      body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body)),
      opts,
    );
    return parse(res.body, `${method} ${path}`) as T;
  }

  async #request(
    method: string,
    path: string,
    body: Uint8Array | undefined,
    opts: CallOptions,
  ): Promise<{ status: number; body: ArrayBuffer }> {
    const tries = opts.idempotent ? 1 + this.#config.retries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#once(method, path, body);
      } catch (err) {
        if (!(err instanceof MlflowError) || !err.retriable || attempt >= tries) throw err;
        await sleep(200 * 2 ** (attempt - 1));
      }
    }
  }

  async #once(
    method: string,
    path: string,
    body: Uint8Array | undefined,
  ): Promise<{ status: number; body: ArrayBuffer }> {
    const url = `${this.#config.url}${path}`;
    const what = `MLflow ${method} ${url}`;
    let res: Response;
    let bytes: ArrayBuffer;
    try {
      res = await fetch(url, {
        method,
        ...(body === undefined
          ? {}
          : {
              body,
              headers: {
                'content-type': path.includes('/mlflow-artifacts/')
                  ? 'application/octet-stream'
                  : 'application/json',
              },
            }),
        signal: AbortSignal.timeout(this.#config.requestTimeoutMs),
      });
      bytes = await res.arrayBuffer();
    } catch (err) {
      const e = err as Error & { cause?: { code?: string; message?: string } };
      const why =
        e.name === 'TimeoutError' || e.name === 'AbortError'
          ? `no answer within ${this.#config.requestTimeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      throw new MlflowError(
        'VIGIL_ERR_UNAVAILABLE',
        `${what}: MLflow unreachable (${why}); retry later`,
        undefined,
        err,
      );
    }
    if (res.ok) return { status: res.status, body: bytes };
    const text = new TextDecoder().decode(bytes);
    let mlflowCode: string | undefined;
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error_code?: string; message?: string };
      mlflowCode = j.error_code;
      if (j.message !== undefined) message = j.message;
    } catch {
      // not JSON: keep the text
    }
    if (res.status >= 500) {
      throw new MlflowError('VIGIL_ERR_UNAVAILABLE', `${what}: HTTP ${res.status} ${message}`, mlflowCode);
    }
    const code: ErrorCode =
      mlflowCode === 'RESOURCE_DOES_NOT_EXIST' || res.status === 404
        ? 'VIGIL_ERR_UNKNOWN_MODEL'
        : 'VIGIL_ERR_BAD_MODEL';
    throw new MlflowError(code, `${what}: ${mlflowCode ?? `HTTP ${res.status}`}: ${message}`, mlflowCode);
  }
}

function qs(query: Query): string {
  const parts = Object.entries(query)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/');

function parse(body: ArrayBuffer, what: string): unknown {
  const text = new TextDecoder().decode(body);
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new MlflowError(
      'VIGIL_ERR_UNAVAILABLE',
      `MLflow ${what}: the answer is not JSON: ${text.slice(0, 200)}`,
    );
  }
}
