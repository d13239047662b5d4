/**
 * Same answer as embedded: the NAB corpus replayed through nginx into the scaled-out deployment
 * (3 Kafka brokers, 3 processors, 2 detectors, 2 APIs, PostgreSQL primary + replica, InfluxDB)
 * yields, point for point, the scores (read back from InfluxDB) and anomalies (from PostgreSQL)
 * that `vigil serve` gives on the same requests.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { cluster } from '../../scripts/cluster.mjs';
import { startTestServer, type TestServer } from '../helpers/embedded.ts';
import { nabRequests, postPoints } from './support/nab-requests.ts';
import { expectSameAnswer, pointsOf, writeDeploymentConfig } from './support/same-answer.ts';

const run = `t${randomBytes(4).toString('hex')}`;
const engine = { checkpointIntervalMs: 200, allowedLatenessMs: 60_000 };
let dir: string;
let embedded: TestServer;
let clusterUrl: string;

describe('scaled-out deployment', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-cluster-'));
    const configFile = join(dir, 'config.json');
    writeDeploymentConfig(configFile, run, engine);
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
    await embedded.engine.drain();
    const scored = (await Promise.all(series.map((k) => pointsOf(embedded.url, k)))).reduce(
      (n, p) => n + p.total,
      0,
    );
    expect(scored).toBe(distinct);
    await expectSameAnswer(clusterUrl, embedded.url, series);
  }, 900_000);
});
