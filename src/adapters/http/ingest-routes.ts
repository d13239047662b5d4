/**
 * Ingest endpoints: one route per row of the format table it is given (src/adapters/ingest/
 * formats.ts: JSON/NDJSON points, InfluxDB line protocol on `/write`, Telegraf- and
 * client-compatible, Prometheus remote_write 1.0). Each request is validated whole before
 * anything is stored and acknowledged only once durable.
 */
import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';
import type { IngestPoint } from '../../core/point.ts';
import type { IngestBatch, IngestFormat, IngestLimits } from '../../ports/ingest-format.ts';
import { tenantOf } from './tenant.ts';

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
  /** The routes served and the formats each takes, one row per route. */
  formats: readonly IngestFormat[];
  sink: IngestSink;
  limits: IngestLimits;
  now: () => number;
  observer: IngestObserver;
}

export async function ingestRoutes(app: FastifyInstance, opts: IngestRoutesOptions): Promise<void> {
  // Bodies arrive raw: the parsers give precise errors (line, index, field) that a generic parser would not.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const byPath = new Map(opts.formats.map((f) => [f.path, f]));
  // The Content-Type is checked before the body is read, decompressed or parsed.
  app.addHook('onRequest', async (req) => {
    const path = req.routeOptions.url;
    if (path !== undefined) byPath.get(path)?.formatOf(req.headers['content-type']);
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

  for (const route of opts.formats) {
    app.post(
      route.path,
      {
        // Every ingest format writes points: one scope for all of them (src/adapters/http/auth.ts).
        config: { scope: 'ingest' },
        schema: {
          summary: route.summary,
          tags: ['ingest'],
          ...(route.consumes !== undefined ? { consumes: [...route.consumes] } : {}),
          ...(route.query !== undefined ? { querystring: route.query } : {}),
          response: { 204: Type.Null({ description: route.accepted ?? 'all points durable' }) },
        },
      },
      async (req, reply) => {
        const format = route.formatOf(req.headers['content-type']);
        const parsed = route.parse({
          format,
          body: req.body instanceof Buffer ? req.body : undefined,
          query: (req.query ?? {}) as Record<string, unknown>,
          now: opts.now(),
          limits: opts.limits,
        });
        await accept(format, parsed, req);
        return reply.code(204).send();
      },
    );
  }
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
