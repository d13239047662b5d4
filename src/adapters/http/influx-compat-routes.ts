/**
 * What InfluxDB clients ask of a server before and beside writing, so Telegraf and the InfluxDB
 * client libraries work against Vigil unchanged:
 * - `GET|HEAD /ping`: 204 with the `X-Influxdb-Version` and `X-Influxdb-Build` headers clients
 *   read (no key needed, as InfluxDB's own);
 * - `GET|POST /query` (`q` in the query string or a form body): `CREATE DATABASE` (Telegraf's
 *   `outputs.influxdb` sends it at start) succeeds and creates nothing, since Vigil has no
 *   databases: every `db` and `bucket` name writes to the key's tenant; `SHOW DATABASES` lists the
 *   one database, `vigil`. Any other InfluxQL is a 400 naming the statement (queries go to
 *   `GET /api/v1/query`).
 * Writing is `/write` and `/api/v2/write` (ingest-routes.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { VigilError } from '../../core/errors.ts';

/** The InfluxDB release whose HTTP API these routes and /write, /api/v2/write follow (1.8's v2 compatibility included). */
export const INFLUX_COMPAT_VERSION = '1.8.10';

/** The one database SHOW DATABASES names. */
const DATABASE = 'vigil';

/** The longest `q` looked at: Telegraf's statement is well under 100 characters. */
const MAX_QUERY = 4096;

const CREATE_DATABASE = /^CREATE\s+DATABASE\s+("(?:[^"\\]|\\.)+"|[A-Za-z_][\w.-]*)(\s+WITH\s+.*)?$/is;
const SHOW_DATABASES = /^SHOW\s+DATABASES$/i;

export type InfluxResult = {
  statement_id: number;
  series?: { name: string; columns: string[]; values: string[][] }[];
};

/**
 * The results of the `;`-separated statements in `q`, in InfluxDB's response shape; throws
 * VIGIL_ERR_BAD_REQUEST (field `q`) for an empty `q` or a statement Vigil does not answer.
 */
export function answerInfluxQL(q: string): InfluxResult[] {
  if (q.length > MAX_QUERY) throw badQuery(`q is longer than ${MAX_QUERY} characters`);
  const statements = splitStatements(q);
  if (statements.length === 0) throw badQuery('q is empty: expected an InfluxQL statement');
  return statements.map((s, i) => {
    if (CREATE_DATABASE.test(s)) return { statement_id: i };
    if (SHOW_DATABASES.test(s)) {
      return { statement_id: i, series: [{ name: 'databases', columns: ['name'], values: [[DATABASE]] }] };
    }
    throw badQuery(
      `statement ${i + 1} (${JSON.stringify(s.slice(0, 80))}) is not supported: /query answers CREATE DATABASE and SHOW DATABASES only (Vigil has no databases); read series with GET /api/v1/query`,
    );
  });
}

/** `;`-separated statements, trimmed, empty ones dropped; a `;` inside double or single quotes does not split. */
function splitStatements(q: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quote = '';
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (quote !== '') {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ';') {
      out.push(q.slice(start, i));
      start = i + 1;
    }
  }
  out.push(q.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function badQuery(message: string): VigilError {
  return new VigilError('VIGIL_ERR_BAD_REQUEST', message, { location: { field: 'q' } });
}

const QUERY_PARAMS = Type.Object({
  q: Type.Optional(Type.String()),
  db: Type.Optional(Type.String()),
  u: Type.Optional(Type.String()),
  p: Type.Optional(Type.String()),
  epoch: Type.Optional(Type.String()),
  pretty: Type.Optional(Type.String()),
});

const RESULTS = Type.Object({
  results: Type.Array(
    Type.Object({
      statement_id: Type.Integer(),
      series: Type.Optional(
        Type.Array(
          Type.Object({
            name: Type.String(),
            columns: Type.Array(Type.String()),
            values: Type.Array(Type.Array(Type.String())),
          }),
        ),
      ),
    }),
  ),
});

function queryText(req: FastifyRequest): string {
  const fromQuery = (req.query as { q?: string }).q;
  if (fromQuery !== undefined) return fromQuery;
  const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') === true;
  return form && typeof req.body === 'string' ? (new URLSearchParams(req.body).get('q') ?? '') : '';
}

export async function influxCompatRoutes(app: FastifyInstance): Promise<void> {
  // Clients send `q` in a form body or in the query string with any (often empty JSON) body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_QUERY * 4 }, (_req, body, done) =>
    done(null, body),
  );
  app.get(
    '/ping',
    {
      config: { scope: 'public' },
      schema: {
        summary: 'InfluxDB-compatible ping: 204 with X-Influxdb-Version',
        tags: ['ingest'],
        response: { 204: Type.Null({ description: 'up' }) },
      },
    },
    async (_req, reply) =>
      reply
        .code(204)
        .header('x-influxdb-version', INFLUX_COMPAT_VERSION)
        .header('x-influxdb-build', 'OSS')
        .send(),
  );
  const schema = {
    summary: 'InfluxDB-compatible /query: CREATE DATABASE (accepted, creates nothing) and SHOW DATABASES',
    tags: ['ingest'],
    querystring: QUERY_PARAMS,
    response: { 200: RESULTS },
  };
  const handler = async (req: FastifyRequest) => ({ results: answerInfluxQL(queryText(req)) });
  // Telegraf creates its database with an ingest key: the statements answered change nothing.
  app.get('/query', { config: { scope: 'ingest' }, schema }, handler);
  app.post(
    '/query',
    { config: { scope: 'ingest' }, schema: { ...schema, consumes: ['application/x-www-form-urlencoded'] } },
    handler,
  );
}
