/** The ingest routes' options as `vigil serve` and `vigil api` both wire them. */
import type { IngestRoutesOptions, IngestSink } from '../adapters/http/ingest-routes.ts';
import { INGEST_FORMATS } from '../adapters/ingest/formats.ts';
import type { Config } from '../config/schema.ts';
import { namesTenantTag } from '../core/series.ts';
import type { Metrics } from './metrics.ts';

export function ingestRoutesOptions(
  config: Readonly<Config>,
  sink: IngestSink,
  metrics: Metrics,
  knownSeries: (key: string) => boolean,
): IngestRoutesOptions {
  return {
    formats: INGEST_FORMATS,
    sink,
    limits: {
      maxPoints: config.ingest.maxPointsPerRequest,
      // A key naming the tenant tag is validated (and refused) even when such a series exists.
      knownSeries: (key) => !namesTenantTag(key) && knownSeries(key),
      series: {
        maxTagsPerSeries: config.ingest.maxTagsPerSeries,
        maxNameLength: config.ingest.maxNameLength,
        maxTagValueLength: config.ingest.maxTagValueLength,
      },
    },
    now: Date.now,
    observer: {
      accepted: (format, n) => metrics.ingestPoints.inc({ format }, n),
      skipped: (format, reason, n) => metrics.ingestSkipped.inc({ format, reason }, n),
    },
  };
}
