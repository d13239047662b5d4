/**
 * The Content-Types each ingest endpoint accepts, checked before the body is read. A browser can
 * send a cross-site POST without a CORS preflight only as text/plain, form or multipart: refusing
 * those on the JSON endpoint closes the CSRF write found in issue 17. `/write` keeps accepting
 * what InfluxDB accepts (curl's --data-binary sends a form type; Telegraf and the client libraries
 * send text/plain), so the Influx tooling works unchanged.
 */
import { VigilError } from '../../core/errors.ts';

export type JsonFlavour = 'json' | 'ndjson';

const JSON_TYPES: Record<string, JsonFlavour> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

const LINE_PROTOCOL_TYPES = new Set([
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
]);

/** The media type without parameters, lower case; undefined when the header is absent or empty. */
export function mediaType(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  return type === '' ? undefined : type;
}

function refuse(path: string, header: string, accepted: string): never {
  throw new VigilError(
    'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
    `Content-Type ${JSON.stringify(header.slice(0, 100))} is not accepted on ${path}; send ${accepted}`,
    { location: { field: 'Content-Type' } },
  );
}

/** `/api/v1/points`: JSON or NDJSON; no Content-Type means JSON. */
export function jsonFlavour(header: string | undefined): JsonFlavour {
  const type = mediaType(header);
  if (type === undefined) return 'json';
  return JSON_TYPES[type] ?? refuse('/api/v1/points', header!, 'application/json or application/x-ndjson');
}

/** `/write`: line protocol under the types InfluxDB clients send. */
export function checkLineProtocolType(header: string | undefined): void {
  const type = mediaType(header);
  if (type !== undefined && !LINE_PROTOCOL_TYPES.has(type)) {
    refuse('/write', header!, 'text/plain (InfluxDB line protocol)');
  }
}

/**
 * `/api/v1/write`: remote_write 1.0 only. 2.0 senders name their message in the `proto` parameter
 * (`io.prometheus.write.v2.Request`); the spec asks a receiver that cannot read it to answer 415,
 * so the sender can fall back to 1.0 instead of having its samples misread.
 */
export function checkRemoteWriteType(header: string | undefined): void {
  const type = mediaType(header);
  if (type === undefined) return;
  if (type !== 'application/x-protobuf') refuse('/api/v1/write', header!, 'application/x-protobuf');
  const proto = /;\s*proto\s*=\s*"?([^";\s]+)/i.exec(header!)?.[1];
  if (proto !== undefined && proto !== 'prometheus.WriteRequest') {
    throw new VigilError(
      'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
      `remote_write message ${proto} is not supported; send remote_write 1.0 (prometheus.WriteRequest)`,
      { location: { field: 'Content-Type' } },
    );
  }
}
