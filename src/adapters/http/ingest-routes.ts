/**
 * Ingest endpoints: JSON/NDJSON points, InfluxDB line protocol (`/write`, Telegraf- and
 * client-compatible) and Prometheus remote_write 1.0. Each request is validated whole before
 * anything is stored and acknowledged only once durable.
 */
import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';
import type { IngestPoint } from '../../core/point.ts';
import type { IngestBatch } from '../ingest/batch.ts';
import { parseJsonPoints, parseNdjsonPoints } from '../ingest/json.ts';
import type { IngestLimits } from '../ingest/limits.ts';
import { parseLineProtocol } from '../ingest/line-protocol.ts';
import { decodeRemoteWrite } from '../ingest/remote-write.ts';
import { checkLineProtocolType, checkRemoteWriteType, jsonFlavour } from './media-types.ts';
import { utf8Text } from './utf8-body.ts';

/** A request's `Idempotency-Key` and a fingerprint of what it asked (path, query, decoded body). */
export interface Idempotency {
  key: string;
  fingerprint: string;
}

export interface IngestSink {
  /**
   * `idempotency`: a repeat of a stored request (same key, same fingerprint) is skipped; the same
   * key with another fingerprint is refused with VIGIL_ERR_IDEMPOTENCY_CONFLICT.
   */
  ingest(
    points: readonly IngestPoint[],
    keys?: readonly string[],
    idempotency?: Idempotency,
    tenant?: string,
  ): Promise<void>;
}

/** Keys are opaque to us but bounded: printable ASCII, at most 255 characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** The request's tenant, set by authentication where it runs; `default` otherwise. */
function tenantOf(req: FastifyRequest): string {
  return (req as FastifyRequest & { tenant?: string }).tenant ?? 'default';
}

function idempotencyOf(req: FastifyRequest): Idempotency | undefined {
  const v = req.headers['idempotency-key'];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !IDEMPOTENCY_KEY.test(v)) {
    throw new VigilError(
      'VIGIL_ERR_BAD_REQUEST',
      'Idempotency-Key must be 1..255 printable ASCII characters',
      {
        location: { field: 'Idempotency-Key' },
      },
    );
  }
  const hash = createHash('sha256').update(req.url).update('\0');
  if (req.body instanceof Buffer) hash.update(req.body);
  return { key: v, fingerprint: hash.digest('base64url') };
}

export interface IngestObserver {
  accepted(format: string, points: number): void;
  skipped(format: string, reason: string, n: number): void;
}

export interface IngestRoutesOptions {
  sink: IngestSink;
  limits: IngestLimits;
  now: () => number;
  observer: IngestObserver;
}

const PRECISIONS = ['ns', 'n', 'us', 'u', 'ms', 's', 'm', 'h'] as const;
type Precision = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

export async function ingestRoutes(app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  // Bodies arrive raw: the parsers give precise errors (line, index, field) that a generic parser would not.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  // The Content-Type is checked before the body is read, decompressed or parsed.
  app.addHook('onRequest', async (req) => {
    const ct = req.headers['content-type'];
    const path = req.routeOptions.url;
    if (path === '/api/v1/points') jsonFlavour(ct);
    else if (path === '/write') checkLineProtocolType(ct);
    else if (path === '/api/v1/write') checkRemoteWriteType(ct);
  });
  app.addHook('preParsing', async (req, _reply, payload) => {
    const enc = req.headers['content-encoding'];
    if (enc === 'gzip') return decoded(payload, createGunzip());
    if (enc === 'deflate') return decoded(payload, createInflate());
    if (enc !== undefined && enc !== 'identity' && enc !== 'snappy') {
      throw new VigilError('VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${enc} is not supported`);
    }
    return payload;
  });

  const accept = async (format: string, parsed: IngestBatch, req: FastifyRequest) => {
    // The parsers built each point's series key already; the sink reuses them.
    await opts.sink.ingest(parsed.points, parsed.keys, idempotencyOf(req), tenantOf(req));
    opts.observer.accepted(format, parsed.points.length);
    for (const [reason, n] of Object.entries(parsed.skipped)) opts.observer.skipped(format, reason, n);
  };

  app.post(
    '/api/v1/points',
    {
      schema: {
        summary: 'Write points as JSON ({"points":[…]}) or NDJSON (one point per line)',
        tags: ['ingest'],
        consumes: ['application/json', 'application/x-ndjson'],
        response: { 204: Type.Null({ description: 'all points durable' }) },
      },
    },
    async (req, reply) => {
      const flavour = jsonFlavour(req.headers['content-type']);
      const text = utf8Text(req.body, 'VIGIL_ERR_BAD_JSON');
      const parsed =
        flavour === 'ndjson' ? parseNdjsonPoints(text, opts.limits) : parseJsonPoints(text, opts.limits);
      await accept(flavour, parsed, req);
      return reply.code(204).send();
    },
  );

  app.post(
    '/write',
    {
      schema: {
        summary: 'Write InfluxDB line protocol (each field becomes series <measurement>_<field>)',
        tags: ['ingest'],
        querystring: Type.Object({
          precision: Type.Optional(Type.Union(PRECISIONS.map((p) => Type.Literal(p)))),
          db: Type.Optional(Type.String()),
          rp: Type.Optional(Type.String()),
          u: Type.Optional(Type.String()),
          p: Type.Optional(Type.String()),
          consistency: Type.Optional(Type.String()),
        }),
        response: { 204: Type.Null({ description: 'all points durable' }) },
      },
    },
    async (req, reply) => {
      const q = req.query as { precision?: (typeof PRECISIONS)[number] };
      const precision = normalisePrecision(q.precision ?? 'ns');
      const parsed = parseLineProtocol(
        utf8Text(req.body, 'VIGIL_ERR_BAD_LINE_PROTOCOL'),
        precision,
        opts.now(),
        opts.limits,
      );
      await accept('influx', parsed, req);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/write',
    {
      schema: {
        summary: 'Prometheus remote_write 1.0 (protobuf WriteRequest, snappy block compression)',
        tags: ['ingest'],
        consumes: ['application/x-protobuf'],
        response: { 204: Type.Null({ description: 'all samples durable' }) },
      },
    },
    async (req, reply) => {
      const body = req.body;
      if (!(body instanceof Buffer)) {
        throw new VigilError(
          'VIGIL_ERR_BAD_REMOTE_WRITE',
          'empty body: expected a snappy-compressed WriteRequest',
        );
      }
      const parsed = decodeRemoteWrite(body, opts.limits);
      await accept('prometheus', parsed, req);
      return reply.code(204).send();
    },
  );
}

/**
 * The decompressed body, carrying the count of compressed bytes read as `receivedEncodedLength`:
 * fastify compares that, not the decompressed length, with `Content-Length` (without it every
 * compressed body sent with a Content-Length, as curl and Telegraf send, was refused with 400).
 */
function decoded(payload: Readable, decoder: Transform): Transform & { receivedEncodedLength: number } {
  const out = decoder as Transform & { receivedEncodedLength: number };
  out.receivedEncodedLength = 0;
  payload.on('data', (chunk: Buffer) => {
    out.receivedEncodedLength += chunk.length;
  });
  return payload.pipe(out);
}

function normalisePrecision(p: (typeof PRECISIONS)[number]): Precision {
  return p === 'n' ? 'ns' : p === 'u' ? 'us' : p;
}
