/**
 * How Vigil reaches an MLflow tracking server: its base URL (`models.mlflowUrl`) and the limits of
 * each call. The limits are code defaults, not config keys: they bound how long a caller waits for
 * a server that is down or hung (docs/models.md, "The registry: MLflow or files").
 */
import { VigilError } from '../../core/errors.ts';

export interface MlflowConfig {
  /** The server's base URL, e.g. `http://127.0.0.1:5000` (the REST API is under /api/2.0). */
  url: string;
  /** The experiment that holds the uploads of versions registered without a run (`models.experiment`). */
  experiment?: string;
  /** One HTTP request's limit; past it the call fails with VIGIL_ERR_UNAVAILABLE. */
  requestTimeoutMs?: number;
  /** Extra tries of an idempotent call after a connection failure or a 5xx, with backoff. */
  retries?: number;
  /** How long createVersion waits for a version to become READY. */
  readyTimeoutMs?: number;
}

export type ResolvedMlflowConfig = Required<MlflowConfig>;

export const MLFLOW_DEFAULTS = {
  experiment: 'vigil',
  requestTimeoutMs: 10_000,
  retries: 2,
  readyTimeoutMs: 60_000,
} as const;

/** Fills the defaults and checks the URL: VIGIL_ERR_CONFIG naming models.mlflowUrl. */
export function resolveMlflowConfig(config: MlflowConfig): ResolvedMlflowConfig {
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    throw new VigilError('VIGIL_ERR_CONFIG', `models.mlflowUrl: "${config.url}" is not a URL`, {
      location: { field: 'models.mlflowUrl' },
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `models.mlflowUrl: "${config.url}" must be http:// or https://`,
      {
        location: { field: 'models.mlflowUrl' },
      },
    );
  }
  return {
    url: config.url.replace(/\/+$/, ''),
    experiment: config.experiment ?? MLFLOW_DEFAULTS.experiment,
    requestTimeoutMs: config.requestTimeoutMs ?? MLFLOW_DEFAULTS.requestTimeoutMs,
    retries: config.retries ?? MLFLOW_DEFAULTS.retries,
    readyTimeoutMs: config.readyTimeoutMs ?? MLFLOW_DEFAULTS.readyTimeoutMs,
  };
}
