/**
 * The ingest routes the HTTP API serves and the formats each takes, one row per route (see
 * ports/ingest-format.ts). Adding a format: its parser in this folder, its row here, its test, its
 * section in docs/http-api.md (docs/guides/add-an-ingest-format.md).
 */
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';
import type { IngestFormat } from '../../ports/ingest-format.ts';
import { parseJsonPoints, parseNdjsonPoints } from './json.ts';
import { type LineProtocolPrecision, parseLineProtocol } from './line-protocol.ts';
import { checkLineProtocolType, checkRemoteWriteType, jsonFlavour } from './media-types.ts';
import { decodeRemoteWrite } from './remote-write.ts';
import { utf8Text } from './utf8-body.ts';

const PRECISIONS = ['ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h'] as const;

const normalisePrecision = (p: (typeof PRECISIONS)[number]): LineProtocolPrecision =>
  p === 'n' ? 'ns' : p === 'u' ? 'us' : p;

/** InfluxDB 2.x's `precision` values. */
const V2_PRECISIONS = ['ns', 'us', 'ms', 's'] as const;

const lineProtocolFormat = (contentType: string | undefined): string => {
  checkLineProtocolType(contentType);
  return 'influx';
};

export const INGEST_FORMATS: readonly IngestFormat[] = [
  {
    path: '/api/v1/points',
    summary: 'Write points as JSON ({"points":[…]}) or NDJSON (one point per line)',
    consumes: ['application/json', 'application/x-ndjson'],
    formatOf: jsonFlavour,
    parse: (r) => {
      const text = utf8Text(r.body, 'VIGIL_ERR_BAD_JSON');
      return r.format === 'ndjson' ? parseNdjsonPoints(text, r.limits) : parseJsonPoints(text, r.limits);
    },
  },
  {
    path: '/write',
    summary: 'Write InfluxDB line protocol (each field becomes series <measurement>_<field>)',
    query: Type.Object({
      precision: Type.Optional(Type.Union(PRECISIONS.map((p) => Type.Literal(p)))),
      db: Type.Optional(Type.String()),
      rp: Type.Optional(Type.String()),
      u: Type.Optional(Type.String()),
      p: Type.Optional(Type.String()),
      consistency: Type.Optional(Type.String()),
    }),
    formatOf: lineProtocolFormat,
    parse: (r) => {
      const q = r.query as { precision?: (typeof PRECISIONS)[number] };
      return parseLineProtocol(
        utf8Text(r.body, 'VIGIL_ERR_BAD_LINE_PROTOCOL'),
        normalisePrecision(q.precision ?? 'ns'),
        r.now,
        r.limits,
      );
    },
  },
  {
    path: '/api/v2/write',
    summary:
      'Write InfluxDB line protocol the InfluxDB 2.x way (`bucket`, `org`, `Authorization: Token`): the same parsing as /write; bucket and org name no separate store (the key decides the tenant)',
    query: Type.Object({
      bucket: Type.String({ minLength: 1, description: 'required by 2.x clients; any name is accepted' }),
      org: Type.Optional(Type.String()),
      orgID: Type.Optional(Type.String()),
      precision: Type.Optional(Type.Union(V2_PRECISIONS.map((p) => Type.Literal(p)))),
    }),
    formatOf: lineProtocolFormat,
    parse: (r) => {
      const q = r.query as { precision?: (typeof V2_PRECISIONS)[number] };
      return parseLineProtocol(
        utf8Text(r.body, 'VIGIL_ERR_BAD_LINE_PROTOCOL'),
        q.precision ?? 'ns',
        r.now,
        r.limits,
      );
    },
  },
  {
    path: '/api/v1/write',
    summary: 'Prometheus remote_write 1.0 (protobuf WriteRequest, snappy block compression)',
    consumes: ['application/x-protobuf'],
    accepted: 'all samples durable',
    formatOf: (contentType) => {
      checkRemoteWriteType(contentType);
      return 'prometheus';
    },
    parse: (r) => {
      if (r.body === undefined) {
        throw new VigilError(
          'VIGIL_ERR_BAD_REMOTE_WRITE',
          'empty body: expected a snappy-compressed WriteRequest',
        );
      }
      return decodeRemoteWrite(r.body, r.limits);
    },
  },
];
