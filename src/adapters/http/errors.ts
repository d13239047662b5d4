/**
 * One error shape for every HTTP error: `{"error": message, "code": VIGIL_ERR_*, line?, index?, field?}`.
 * `error` is the key InfluxDB clients and Telegraf read, so the same body serves them too.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance } from 'fastify';
import { type ErrorCode, isVigilError } from '../../core/errors.ts';

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'VIGIL_ERR_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'VIGIL_ERR_BAD_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VIGIL_ERR_BAD_REQUEST',
};

const BY_STATUS: Record<number, ErrorCode> = {
  403: 'VIGIL_ERR_FORBIDDEN',
  404: 'VIGIL_ERR_NOT_FOUND',
  413: 'VIGIL_ERR_BODY_TOO_LARGE',
  415: 'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
};

/**
 * Answers requests that never reached a route (a malformed request line, headers over Node's
 * 16 KiB, a client too slow to send them) in the one error shape; fastify's default wrote its own.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, ErrorCode, string] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'VIGIL_ERR_REQUEST_TIMEOUT', 'the request was not received in time']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'VIGIL_ERR_HEADERS_TOO_LARGE', 'request headers are larger than 16 KiB']
        : [400, 'VIGIL_ERR_BAD_REQUEST', `malformed HTTP request (${err.code ?? 'parse error'})`];
  const body = JSON.stringify({ error: message, code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

export function installErrorHandler(app: FastifyInstance, retryAfterSeconds: () => number): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isVigilError(err)) {
      if (err.status === 503 || err.status === 429)
        reply.header('retry-after', String(err.retryAfterSeconds ?? retryAfterSeconds()));
      if (err.status === 401) reply.header('www-authenticate', 'Bearer realm="vigil"');
      return reply.code(err.status).send({ error: err.message, ...err.toJSON() });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) {
      const code: ErrorCode = FASTIFY_CODES[err.code] ?? BY_STATUS[status] ?? 'VIGIL_ERR_BAD_REQUEST';
      const message =
        code === 'VIGIL_ERR_BODY_TOO_LARGE' ? 'request body is larger than http.bodyLimitBytes' : err.message;
      const field = validationField(err.validation?.[0]);
      return reply.code(status).send({
        error: message,
        code,
        ...(field ? { field: `${err.validationContext ?? ''}.${field}` } : {}),
      });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', code: 'VIGIL_ERR_INTERNAL' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: `no route ${req.method} ${req.url.split('?')[0]}`, code: 'VIGIL_ERR_NOT_FOUND' });
  });
}

/**
 * The field a schema error is about, as `a.b`: its instance path, and for a missing or unknown
 * key (reported at the object holding it) that key.
 */
function validationField(
  v: { instancePath?: string; params?: Record<string, unknown> } | undefined,
): string | undefined {
  if (v === undefined) return undefined;
  const path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const key = v.params?.missingProperty ?? v.params?.additionalProperty;
  const field = typeof key === 'string' ? (path === '' ? key : `${path}.${key}`) : path;
  return field === '' ? undefined : field;
}
