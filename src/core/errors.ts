/**
 * The one error catalogue. Every error Vigil raises on purpose carries a stable code
 * (`VIGIL_ERR_*`), an HTTP status for the API edge, and a `retriable` flag that retry loops read.
 * docs/errors.md lists every code; keep the two in step.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly retriable: boolean;
  readonly summary: string;
}

export const ERRORS = {
  VIGIL_ERR_BAD_REQUEST: { status: 400, retriable: false, summary: 'The request is malformed.' },
  VIGIL_ERR_BAD_JSON: { status: 400, retriable: false, summary: 'The body is not valid JSON / NDJSON.' },
  VIGIL_ERR_BAD_POINT: {
    status: 400,
    retriable: false,
    summary: 'A point has a missing, mistyped or invalid field (metric, tags, ts, value).',
  },
  VIGIL_ERR_BAD_LINE_PROTOCOL: {
    status: 400,
    retriable: false,
    summary: 'A line of InfluxDB line protocol cannot be parsed.',
  },
  VIGIL_ERR_BAD_REMOTE_WRITE: {
    status: 400,
    retriable: false,
    summary: 'A Prometheus remote_write body is not valid snappy-compressed protobuf.',
  },
  VIGIL_ERR_BAD_REMOTE_READ: {
    status: 400,
    retriable: false,
    summary: 'A Prometheus remote_read body is not a valid snappy-compressed ReadRequest.',
  },
  VIGIL_ERR_DUPLICATE_POINT: {
    status: 400,
    retriable: false,
    summary: 'The same series and timestamp appear twice in one request.',
  },
  VIGIL_ERR_TOO_MANY_TAGS: { status: 400, retriable: false, summary: 'A series has more tags than allowed.' },
  VIGIL_ERR_BATCH_TOO_LARGE: {
    status: 413,
    retriable: false,
    summary: 'The request carries more points than `ingest.maxPointsPerRequest`.',
  },
  VIGIL_ERR_BODY_TOO_LARGE: {
    status: 413,
    retriable: false,
    summary: 'The request body is larger than `http.bodyLimitBytes`.',
  },
  VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retriable: false,
    summary: 'The Content-Type or Content-Encoding is not accepted by this endpoint.',
  },
  VIGIL_ERR_SERIES_LIMIT: {
    status: 422,
    retriable: false,
    summary:
      'Accepting the request would exceed `ingest.maxSeries` distinct series (by default derived from the memory budget).',
  },
  VIGIL_ERR_IDEMPOTENCY_CONFLICT: {
    status: 422,
    retriable: false,
    summary:
      'The `Idempotency-Key` was already used with a different body; a retry must repeat the body byte for byte.',
  },
  VIGIL_ERR_OBJECT_LIMIT: {
    status: 422,
    retriable: false,
    summary:
      'The tenant already has as many alert rules or silences as its limits allow (`limits.maxAlertRules`, `limits.maxSilences`).',
  },
  VIGIL_ERR_QUERY_LIMIT: {
    status: 422,
    retriable: false,
    summary:
      "The query would cost more than the tenant's limits allow (`limits.queryMaxPoints`, `limits.queryMaxRangeMs`); narrow the range.",
  },
  VIGIL_ERR_QUERY_TIMEOUT: {
    status: 503,
    retriable: true,
    summary:
      'The query ran past `http.queryTimeoutMs` (or its client went away); narrow the selector or range.',
  },
  VIGIL_ERR_UNAUTHENTICATED: {
    status: 401,
    retriable: false,
    summary:
      'With `auth.mode: keys`: no API key, or one that is malformed, unknown, expired or revoked (docs/security.md lists the forms a key may take).',
  },
  VIGIL_ERR_FORBIDDEN: {
    status: 403,
    retriable: false,
    summary:
      'The request may not read or change this: the API key lacks the scope the route needs (named in the message).',
  },
  VIGIL_ERR_AUTH_RATE_LIMITED: {
    status: 429,
    retriable: true,
    summary:
      'Too many failed authentications from this client address (`auth.maxFailures` per `auth.failureWindowSeconds`); retry after `Retry-After`.',
  },
  VIGIL_ERR_REQUEST_TIMEOUT: {
    status: 408,
    retriable: true,
    summary: 'The client sent its request too slowly (headers or body); the connection is closed.',
  },
  VIGIL_ERR_HEADERS_TOO_LARGE: {
    status: 431,
    retriable: false,
    summary: 'The request headers are larger than the server accepts (16 KiB in all).',
  },
  VIGIL_ERR_NOT_FOUND: { status: 404, retriable: false, summary: 'The resource does not exist.' },
  VIGIL_ERR_CONFLICT: {
    status: 409,
    retriable: false,
    summary:
      'The change conflicts with what exists: an alert rule of that name already exists, or the rule comes from the config file (change it there).',
  },
  VIGIL_ERR_UNKNOWN_DETECTOR: {
    status: 400,
    retriable: false,
    summary: 'No detector is registered by that name.',
  },
  VIGIL_ERR_BAD_DETECTOR_PARAMS: {
    status: 400,
    retriable: false,
    summary: 'Detector parameters do not match the detector schema.',
  },
  VIGIL_ERR_BAD_PIPELINE: {
    status: 400,
    retriable: false,
    summary:
      'A pipeline declaration names an unknown stage or gives a stage bad params; the message names the field.',
  },
  VIGIL_ERR_RATE_LIMITED: {
    status: 429,
    retriable: true,
    summary:
      'More ingest requests per second than `ingest.rateLimitRequestsPerSecond`, or more points per second than the tenant’s `limits.ingestPointsPerSecond`, allow; retry after `Retry-After`.',
  },
  VIGIL_ERR_BACKPRESSURE: {
    status: 503,
    retriable: true,
    summary: 'The pipeline is behind; retry after the `Retry-After` seconds.',
  },
  VIGIL_ERR_MEMORY_PRESSURE: {
    status: 503,
    retriable: true,
    summary:
      'The process is near `ingest.memoryBudgetBytes`; ingest pushes back until scoring and checkpoints free memory. Retry after `Retry-After`.',
  },
  VIGIL_ERR_NOT_READY: { status: 503, retriable: true, summary: 'The server is starting or recovering.' },
  VIGIL_ERR_CONFIG: { status: 500, retriable: false, summary: 'The configuration is invalid.' },
  VIGIL_ERR_STORAGE: { status: 500, retriable: true, summary: 'The storage layer failed.' },
  VIGIL_ERR_UNAVAILABLE: {
    status: 503,
    retriable: true,
    summary:
      'A backing service (Kafka, PostgreSQL primary, Redis, InfluxDB, MLflow) is unreachable; retry later.',
  },
  VIGIL_ERR_ENGINE: {
    status: 500,
    retriable: true,
    summary: 'The embedded engine thread failed; restart the server (it recovers from its log).',
  },
  VIGIL_ERR_BAD_CSV: { status: 400, retriable: false, summary: 'A CSV file cannot be parsed.' },
  VIGIL_ERR_BAD_MODEL: {
    status: 422,
    retriable: false,
    summary:
      'A model name, model directory or registry artifact is invalid (the message names the file or field); nothing is loaded or changed.',
  },
  VIGIL_ERR_UNKNOWN_MODEL: {
    status: 404,
    retriable: false,
    summary: 'No registered model, version or alias by that name (the message says which).',
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** Where in the input an error sits: 1-based line for text formats, index for arrays, field name. */
export interface ErrorLocation {
  line?: number;
  index?: number;
  field?: string;
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly location: ErrorLocation | undefined;
  /** When the caller may retry, where the error knows it (a token bucket's refill); else the edge's default. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { location?: ErrorLocation; cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VigilError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retriable = ERRORS[code].retriable;
    this.location = options?.location;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.location };
  }
}

export function isVigilError(err: unknown): err is VigilError {
  return err instanceof VigilError;
}
