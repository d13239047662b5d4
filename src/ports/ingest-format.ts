/**
 * IngestFormat: one ingest route and the wire format(s) it accepts (JSON and NDJSON points,
 * InfluxDB line protocol, Prometheus remote_write, …). The HTTP ingest plugin serves every row of
 * the table it is given (src/adapters/ingest/formats.ts), so a new format is a parser and one row
 * there; the route, its Content-Type check, its OpenAPI entry and the per-format metrics follow.
 */
import type { TSchema } from 'typebox';
import type { IngestPoint } from '../core/point.ts';
import type { SeriesLimits } from '../core/series.ts';

/** What a parser returns. `skipped` counts points dropped on purpose, by reason. */
export interface IngestBatch {
  points: IngestPoint[];
  /** Canonical series key of each point (parallel to `points`), so later stages need not rebuild it. */
  keys?: string[];
  skipped: Record<string, number>;
}

/** Limits every ingest parser enforces on one request. */
export interface IngestLimits {
  /** Most points one request may carry (`ingest.maxPointsPerRequest`); more is VIGIL_ERR_BATCH_TOO_LARGE. */
  maxPoints: number;
  series: SeriesLimits;
  /**
   * True for a series key already accepted earlier under these same limits; parsers then skip
   * re-validating its names and values. Optional: without it every new-in-request series is checked.
   */
  knownSeries?: (key: string) => boolean;
}

/** What a format's parser gets. */
export interface IngestRequest {
  /** The format `formatOf` named for this request. */
  format: string;
  /** The raw body after Content-Encoding (gzip, deflate) is undone; undefined when none was sent. */
  body: Buffer | undefined;
  /** The query string, validated against the route's `query` schema. */
  query: Record<string, unknown>;
  /** Wall time in epoch ms, for formats whose points may omit a timestamp. */
  now: number;
  limits: IngestLimits;
}

/** One ingest route and the format(s) it takes. */
export interface IngestFormat {
  /** The route it is posted to. */
  path: string;
  /** One line for the route's OpenAPI summary. */
  summary: string;
  /** Content types for the route's OpenAPI `consumes` (absent: not listed). */
  consumes?: readonly string[];
  /** Query-string schema of the route. */
  query?: TSchema;
  /** What the 204 means, for the OpenAPI document. Default 'all points durable'. */
  accepted?: string;
  /**
   * Checks the request's Content-Type before the body is read and names the format it selects
   * (the `format` label of the ingest metrics); throws VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE (415) for
   * a type the route does not take.
   */
  formatOf(contentType: string | undefined): string;
  /** Parses the whole request or throws a VigilError naming where it is wrong; nothing is stored on a throw. */
  parse(req: IngestRequest): IngestBatch;
}
