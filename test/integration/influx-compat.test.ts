/**
 * The InfluxDB client libraries people already run, unchanged, against Vigil with API keys: the
 * 2.x client (`influxdb-client`: ping, version, `/api/v2/write` with `Authorization: Token`) and
 * the 1.x client (`influxdb`: CREATE DATABASE and SHOW DATABASES on `/query`, writes on `/write`
 * with u/p), installed from PyPI into `.venv-clients/` by scripts/services/pyclients.sh. What they
 * write comes back from Vigil's query API; a wrong token writes nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

const run = promisify(execFile);
let server: TestServer;
let python = '';
let ingestKey = '';
let readKey = '';
const T0 = Date.UTC(2026, 0, 1);

beforeAll(async () => {
  python = execFileSync('bash', ['scripts/services/pyclients.sh'], { encoding: 'utf8' }).trim();
  server = await startTestServer({
    engine: { detector: 'ewma' },
    auth: { mode: 'keys', maxFailures: 1_000_000 },
  });
  ingestKey = (await server.keys.create({ scopes: ['ingest'], name: 'telegraf' })).key;
  readKey = (await server.keys.create({ scopes: ['read'], name: 'reader' })).key;
}, 300_000);
afterAll(async () => {
  await server?.dispose();
});

/** Runs a Python snippet with the server's URL, host, port and the keys in its environment; its JSON stdout. */
async function py(code: string, token = ingestKey): Promise<Record<string, unknown>> {
  const u = new URL(server.url);
  const { stdout } = await run(python, ['-c', code], {
    env: { ...process.env, URL: server.url, HOST: u.hostname, PORT: u.port, TOKEN: token },
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function stored(series: string): Promise<number[]> {
  const r = await fetch(`${server.url}/api/v1/points?series=${encodeURIComponent(series)}&maxPoints=1000`, {
    headers: { authorization: `Bearer ${readKey}` },
  });
  if (r.status !== 200) return [];
  return ((await r.json()) as { points: { value: number }[] }).points.map((p) => p.value);
}

describe('InfluxDB 2.x client (influxdb-client from PyPI)', () => {
  it('pings, reads the version, writes to /api/v2/write with a Token; the points are stored', async () => {
    const out = await py(`
import json, os
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
c = InfluxDBClient(url=os.environ["URL"], token=os.environ["TOKEN"], org="acme")
ok = c.ping()
version = c.version()
w = c.write_api(write_options=SYNCHRONOUS)
w.write(bucket="telegraf", record=["py_v2,host=a value=%d %d" % (i, ${T0} + i * 1000) for i in range(5)], write_precision="ms")
print(json.dumps({"ping": ok, "version": version}))
`);
    expect(out).toEqual({ ping: true, version: '1.8.10' });
    expect(
      await eventually(async () =>
        (await stored('py_v2_value{host="a"}')).length === 5 ? stored('py_v2_value{host="a"}') : null,
      ),
    ).toEqual([0, 1, 2, 3, 4]);
  });

  it('a wrong token is refused with 401 and writes nothing', async () => {
    const out = await py(
      `
import json, os
from influxdb_client import InfluxDBClient
from influxdb_client.client.write_api import SYNCHRONOUS
from influxdb_client.rest import ApiException
c = InfluxDBClient(url=os.environ["URL"], token=os.environ["TOKEN"], org="acme")
try:
    c.write_api(write_options=SYNCHRONOUS).write(bucket="b", record="py_v2_denied value=1 ${T0}", write_precision="ms")
    print(json.dumps({"status": 204}))
except ApiException as e:
    print(json.dumps({"status": e.status}))
`,
      'vgl_notakey_0000',
    );
    expect(out).toEqual({ status: 401 });
    expect(await stored('py_v2_denied_value')).toEqual([]);
  });
});

describe('InfluxDB 1.x client (influxdb from PyPI), as Telegraf uses the API', () => {
  it('creates its database, lists databases and writes with u/p', async () => {
    const out = await py(`
import json, os
from influxdb import InfluxDBClient
c = InfluxDBClient(host=os.environ["HOST"], port=int(os.environ["PORT"]), username="telegraf", password=os.environ["TOKEN"], database="telegraf")
c.create_database("telegraf")
dbs = c.get_list_database()
c.write_points([{"measurement": "py_v1", "tags": {"host": "b"}, "time": ${T0} + i * 1000, "fields": {"value": float(i)}} for i in range(3)], time_precision="ms")
print(json.dumps({"databases": dbs}))
`);
    expect(out).toEqual({ databases: [{ name: 'vigil' }] });
    expect(
      await eventually(async () =>
        (await stored('py_v1_value{host="b"}')).length === 3 ? stored('py_v1_value{host="b"}') : null,
      ),
    ).toEqual([0, 1, 2]);
  });

  it('a SELECT gets a 400 whose message names the statement and where queries go', async () => {
    const out = await py(`
import json, os
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError
c = InfluxDBClient(host=os.environ["HOST"], port=int(os.environ["PORT"]), username="telegraf", password=os.environ["TOKEN"])
try:
    c.query("SELECT * FROM cpu")
    print(json.dumps({"code": 200}))
except InfluxDBClientError as e:
    print(json.dumps({"code": e.code, "content": str(e.content)}))
`);
    expect(out.code).toBe(400);
    expect(out.content).toContain('SELECT * FROM cpu');
    expect(out.content).toContain('/api/v1/query');
  });
});

describe('the compatibility routes over plain HTTP', () => {
  it('/ping answers 204 with the version headers, without a key, also to HEAD', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await fetch(`${server.url}/ping`, { method });
      expect(r.status).toBe(204);
      expect(r.headers.get('x-influxdb-version')).toBe('1.8.10');
    }
  });

  it('/api/v2/write without bucket is a 400 naming bucket; /query with an ingest-less key is a 403', async () => {
    const r = await fetch(`${server.url}/api/v2/write?org=a`, {
      method: 'POST',
      headers: { authorization: `Token ${ingestKey}` },
      body: `nobucket value=1 ${T0}`,
    });
    expect(r.status).toBe(400);
    expect(JSON.stringify(await r.json())).toContain('bucket');
    const q = await fetch(`${server.url}/query?q=${encodeURIComponent('CREATE DATABASE x')}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(q.status).toBe(403);
  });
});
