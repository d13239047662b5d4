/**
 * InfluxClient against a real InfluxDB 1.x: version, database creation, chunked writes and how
 * failures surface (unreachable, no answer, rejected writes and queries). InfluxDB 2.x and 3.x
 * cannot run here, so their database setup is checked against a stand-in server that answers the
 * documented v2 API calls and records them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxClient } from '../../src/adapters/influx/index.ts';
import { VigilError } from '../../src/core/errors.ts';
import { service } from '../support/services.ts';

const database = `vigil_test_client_${randomUUID().slice(0, 8)}`;
let url = '';
let client: InfluxClient;

beforeAll(() => {
  url = service('influxdb').VIGIL_INFLUX_URL!;
  client = new InfluxClient({ url, database, linesPerRequest: 2 });
});

afterAll(async () => {
  await client?.command(`DROP DATABASE "${database}"`);
});

async function failure(p: Promise<unknown>): Promise<VigilError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VigilError);
  return err as VigilError;
}

/** A local HTTP server for the duration of `body`. */
async function withServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
  body: (url: string) => Promise<void>,
): Promise<void> {
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => handler(req, res, text));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await body(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('InfluxClient on InfluxDB 1.x', () => {
  it('reports the server version and creates the database once', async () => {
    const v = await client.ping();
    expect(v.major).toBe(1);
    expect(v.version).toMatch(/^1\./);
    await client.ensureDatabase();
    await client.ensureDatabase();
    const [r] = await client.command('SHOW DATABASES');
    expect(r!.series[0]!.values.map((row) => row[0])).toContain(database);
  });

  it('writes in chunks of linesPerRequest and reads back with epoch ms', async () => {
    await client.ensureDatabase();
    const lines = [1, 2, 3, 4, 5].map((i) => `chunked,k=v x=${i} ${1_700_000_000_000 + i}`);
    await client.write(lines);
    const [r] = await client.query('SELECT "x" FROM "chunked"');
    expect(r!.series[0]!.columns).toEqual(['time', 'x']);
    expect(r!.series[0]!.values).toEqual([1, 2, 3, 4, 5].map((i) => [1_700_000_000_000 + i, i]));
  });

  it('rejected writes and queries fail with VIGIL_ERR_STORAGE and InfluxDB’s message', async () => {
    await client.ensureDatabase();
    const bad = await failure(client.write(['no fields here 1']));
    expect(bad.code).toBe('VIGIL_ERR_STORAGE');
    expect(bad.message).toMatch(/HTTP 400.*unable to parse/);
    const parse = await failure(client.query('SELEC 1'));
    expect(parse.code).toBe('VIGIL_ERR_STORAGE');
    expect(parse.message).toMatch(/error parsing query/);
    const missing = await failure(client.query('SELECT * FROM "x"', { database: `${database}_absent` }));
    expect(missing.code).toBe('VIGIL_ERR_STORAGE');
    expect(missing.message).toMatch(/database not found/);
  });
});

describe('InfluxClient failures to connect', () => {
  it('an unreachable server fails with VIGIL_ERR_UNAVAILABLE (retriable)', async () => {
    let closedUrl = '';
    await withServer(
      () => {},
      async (u) => {
        closedUrl = u;
      },
    );
    const c = new InfluxClient({ url: closedUrl, database: 'd' });
    for (const op of [() => c.ping(), () => c.write(['m x=1 1']), () => c.query('SELECT 1')]) {
      const err = await failure(op());
      expect(err.code).toBe('VIGIL_ERR_UNAVAILABLE');
      expect(err.retriable).toBe(true);
      expect(err.message).toMatch(/ECONNREFUSED/);
    }
  });

  it('a server that does not answer within timeoutMs fails with VIGIL_ERR_UNAVAILABLE', async () => {
    await withServer(
      () => {},
      async (u) => {
        const err = await failure(new InfluxClient({ url: u, database: 'd', timeoutMs: 200 }).ping());
        expect(err.code).toBe('VIGIL_ERR_UNAVAILABLE');
        expect(err.message).toMatch(/no answer within 200 ms/);
      },
    );
  });

  it('a 503 is VIGIL_ERR_UNAVAILABLE', async () => {
    await withServer(
      (_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"overloaded"}'),
      async (u) => {
        const err = await failure(new InfluxClient({ url: u, database: 'd' }).write(['m x=1 1']));
        expect(err.code).toBe('VIGIL_ERR_UNAVAILABLE');
        expect(err.message).toMatch(/overloaded/);
      },
    );
  });
});

describe('ensureDatabase on 2.x and 3.x (stand-in server)', () => {
  /** Answers like InfluxDB 2.7 with nothing set up yet; records every call. */
  function v2(calls: string[]) {
    return (req: IncomingMessage, res: ServerResponse, body: string) => {
      calls.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`.trim());
      const json = (status: number, v: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
      if (req.url === '/ping') return res.writeHead(204, { 'x-influxdb-version': 'v2.7.11' }).end();
      if (req.url!.startsWith('/api/v2/buckets?')) return json(200, { buckets: [] });
      if (req.url!.startsWith('/api/v2/orgs?')) return json(200, { orgs: [{ id: 'org1', name: 'acme' }] });
      if (req.url === '/api/v2/buckets') return json(201, { id: 'b1', orgID: 'org1' });
      if (req.url!.startsWith('/api/v2/dbrps?')) return json(200, { content: [] });
      if (req.url === '/api/v2/dbrps') return json(201, { id: 'm1' });
      json(404, { code: 'not found', message: 'path not found' });
    };
  }

  it('2.x without a token says what to create', async () => {
    await withServer(v2([]), async (u) => {
      const err = await failure(new InfluxClient({ url: u, database: 'metrics' }).ensureDatabase());
      expect(err.code).toBe('VIGIL_ERR_CONFIG');
      expect(err.message).toMatch(/create bucket "metrics".*DBRP.*influx\.token/);
    });
  });

  it('2.x with a token and org creates the bucket and its DBRP mapping', async () => {
    const calls: string[] = [];
    await withServer(v2(calls), async (u) => {
      await new InfluxClient({ url: u, database: 'metrics', token: 'tok', org: 'acme' }).ensureDatabase();
    });
    expect(calls).toEqual([
      'GET /ping Token tok',
      'GET /api/v2/buckets?name=metrics Token tok',
      'GET /api/v2/orgs?org=acme Token tok',
      'POST /api/v2/buckets Token tok {"orgID":"org1","name":"metrics","retentionRules":[]}',
      'GET /api/v2/dbrps?orgID=org1&db=metrics Token tok',
      'POST /api/v2/dbrps Token tok {"bucketID":"b1","orgID":"org1","database":"metrics","retention_policy":"autogen","default":true}',
    ]);
  });

  it('3.x needs nothing: the first write creates the database', async () => {
    const calls: string[] = [];
    await withServer(
      (req, res) => {
        calls.push(`${req.method} ${req.url}`);
        res.writeHead(200, { 'x-influxdb-version': '3.0.1' }).end();
      },
      async (u) => {
        await new InfluxClient({ url: u, database: 'metrics', token: 't' }).ensureDatabase();
      },
    );
    expect(calls).toEqual(['GET /ping']);
  });
});
