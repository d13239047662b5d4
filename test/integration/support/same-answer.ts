/** Compares a deployment's stored output with `vigil serve`'s over the query API. */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface PointsOut {
  total: number;
  points: unknown[];
}

export async function pointsOf(url: string, key: string): Promise<PointsOut> {
  const r = await fetch(`${url}/api/v1/points?series=${encodeURIComponent(key)}&maxPoints=1000000`);
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  return (await r.json()) as PointsOut;
}

/**
 * Every anomaly a deployment holds, ordered by series and start, without its `id`: the id names
 * the deployment's own series id (`<seriesId>-<start>`), which two deployments assign
 * independently; the series key and start identify the anomaly across them.
 */
export async function anomaliesOf(url: string): Promise<{ series: string; start: number }[]> {
  const r = await fetch(`${url}/api/v1/anomalies?limit=10000`);
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`);
  const list = ((await r.json()) as { anomalies: { id: string; series: string; start: number }[] }).anomalies;
  return list
    .map(({ id: _, ...a }) => a)
    .sort((a, b) => a.series.localeCompare(b.series) || a.start - b.start);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits (bounded) until the deployment at `url` holds every point `expected` has for each series —
 * scores reach storage at checkpoints — then asserts both hold the same points and anomalies.
 */
export async function expectSameAnswer(
  url: string,
  expectedUrl: string,
  series: readonly string[],
  timeoutMs = 300_000,
): Promise<void> {
  const expected = new Map<string, PointsOut>();
  for (const key of series) expected.set(key, await pointsOf(expectedUrl, key));
  const deadline = Date.now() + timeoutMs;
  let pending = [...series];
  while (pending.length > 0 && Date.now() < deadline) {
    const still: string[] = [];
    for (const key of pending) {
      const got = await pointsOf(url, key).catch(() => ({ total: -1, points: [] }));
      if (got.total < expected.get(key)!.total) still.push(key);
    }
    pending = still;
    if (pending.length > 0) await sleep(500);
  }
  expect(pending).toEqual([]);
  for (const key of series) expect(await pointsOf(url, key), key).toEqual(expected.get(key));
  const want = await anomaliesOf(expectedUrl);
  expect(want.length).toBeGreaterThan(0);
  expect(want.length).toBeLessThan(10_000); // the API's page limit: all of them are compared
  // Anomalies commit with the checkpoint that holds their last point; give the last one time.
  let got = await anomaliesOf(url);
  for (let i = 0; i < 60 && JSON.stringify(got) !== JSON.stringify(want); i++) {
    await sleep(250);
    got = await anomaliesOf(url);
  }
  expect(got).toEqual(want);
}

/**
 * Writes the config of a test deployment named `run`: its own topics, PostgreSQL schema, InfluxDB
 * database and Redis key prefix, so it shares the services with other runs without meeting them.
 */
export function writeDeploymentConfig(
  file: string,
  run: string,
  engine: Record<string, unknown>,
  redis: Record<string, unknown> = {},
): void {
  writeFileSync(
    file,
    JSON.stringify({
      logLevel: 'warn',
      engine,
      kafka: { topicPrefix: `vigil-${run}`, partitions: 6 },
      postgres: { schema: run },
      influx: { database: run },
      redis: { keyPrefix: `${run}:`, ...redis },
    }),
  );
}
