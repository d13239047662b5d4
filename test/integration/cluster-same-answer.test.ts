/**
 * Same answer as embedded: the NAB corpus replayed through nginx into the scaled-out deployment
 * (3 Kafka brokers, 3 processors, 2 detectors, 2 APIs, PostgreSQL primary + replica, InfluxDB)
 * yields, point for point, the scores (read back from InfluxDB) and anomalies (from PostgreSQL)
 * that `vigil serve` gives on the same requests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { cluster } from '../../scripts/cluster.mjs';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';
import { nabRequests, postPoints } from './support/nab-requests.ts';

const run = `t${randomBytes(4).toString('hex')}`;
const engine = { checkpointIntervalMs: 200, allowedLatenessMs: 60_000 };
let dir: string;
let embedded: TestServer;
let clusterUrl: string;

interface PointsOut {
  total: number;
  points: unknown[];
}

const pointsOf = async (url: string, key: string): Promise<PointsOut> => {
  const r = await fetch(`${url}/api/v1/points?series=${encodeURIComponent(key)}&maxPoints=1000000`);
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  return (await r.json()) as PointsOut;
};
const anomaliesOf = async (url: string) => {
  const r = await fetch(`${url}/api/v1/anomalies?limit=10000`);
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  const list = ((await r.json()) as { anomalies: { series: string; start: number }[] }).anomalies;
  return list.sort((a, b) => a.series.localeCompare(b.series) || a.start - b.start);
};

describe('scaled-out deployment', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
    const configFile = join(dir, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        logLevel: 'warn',
        engine,
        kafka: { topicPrefix: `vigil-${run}`, partitions: 6 },
        postgres: { schema: run },
        influx: { database: run },
      }),
    );
    await cluster(['up', '--name', run, '--config', configFile, '--keep-services']);
    const state = await cluster(['status', '--name', run]);
    clusterUrl = state.nginx;
    embedded = await startTestServer({ engine });
  }, 600_000);

  afterAll(async () => {
    await cluster(['down', '--name', run, '--keep-services']);
    await embedded?.dispose();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('scores and anomalies of the NAB corpus equal vigil serve, point for point', async () => {
    const { requests, series, distinct } = nabRequests(1000);
    // One request in flight per deployment, so both see the same order (each acknowledged first).
    for (const r of requests) await Promise.all([postPoints(clusterUrl, r), postPoints(embedded.url, r)]);
    await embedded.runtime.drain();
    // The cluster's scores reach InfluxDB at its checkpoints: wait until every series is complete.
    const expected = new Map<string, PointsOut>();
    for (const key of series) expected.set(key, await pointsOf(embedded.url, key));
    const scored = [...expected.values()].reduce((n, p) => n + p.total, 0);
    expect(scored).toBe(distinct);
    const deadline = Date.now() + 300_000;
    let pending = [...series];
    while (pending.length > 0 && Date.now() < deadline) {
      const still: string[] = [];
      for (const key of pending) {
        if ((await pointsOf(clusterUrl, key)).total < expected.get(key)!.total) still.push(key);
      }
      pending = still;
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(pending).toEqual([]);
    for (const key of series) expect(await pointsOf(clusterUrl, key), key).toEqual(expected.get(key));
    const want = await anomaliesOf(embedded.url);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(10_000); // the API's page limit: all of them are compared
    // Anomalies commit with the checkpoint that holds their last point; give the last one time.
    let got = await anomaliesOf(clusterUrl);
    for (let i = 0; i < 40 && JSON.stringify(got) !== JSON.stringify(want); i++) {
      await new Promise((r) => setTimeout(r, 250));
      got = await anomaliesOf(clusterUrl);
    }
    expect(got).toEqual(want);
  }, 900_000);
});
