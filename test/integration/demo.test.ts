import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDemo } from '../../src/app/demo.ts';
import { eventually, startTestServer, type TestServer } from '../helpers/embedded.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.dispose();
});

describe('vigil serve --demo', () => {
  it('loads the bundled NAB samples once, and anomalies show up', async () => {
    const n = await loadDemo(server.ingest, (k) => server.knownSeries(k));
    expect(n).toBe(4032 + 4032 + 10320);
    expect(await loadDemo(server.ingest, (k) => server.knownSeries(k))).toBe(0);
    const body = await eventually(async () => {
      const r = (await (await fetch(`${server.url}/api/v1/anomalies`)).json()) as {
        anomalies: { series: string }[];
      };
      return r.anomalies.length > 0 ? r : null;
    });
    expect(body.anomalies[0]!.series).toMatch(/^demo_value\{file="/);
    // The default (the vigil preset, named by its pipeline) brings its own recommended threshold; a
    // new preset brings its own too.
    const key = encodeURIComponent(body.anomalies[0]!.series);
    const cfg = (await (await fetch(`${server.url}/api/v1/series/config?series=${key}`)).json()) as {
      detector: string;
      threshold: number;
    };
    expect(cfg).toMatchObject({ detector: 'vigil', threshold: 0.5 });
    const put = await fetch(`${server.url}/api/v1/series/config?series=${key}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ detector: 'fast' }),
    });
    expect(await put.json()).toMatchObject({ detector: 'fast', threshold: 0.5 });
  });
});
