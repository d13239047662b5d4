/**
 * `vigil bench kafka` end to end with tiny counts: it brings the services up, runs every case, and
 * writes JSON of the documented shape in which every produced point was scored, every latency probe
 * was stored, and every peer read the whole topic; the run's PostgreSQL schema is gone afterwards.
 * No assertion on any timing figure beyond "a positive number".
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { service } from '../support/services.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// The Node the project pins (vigil needs 24), whichever Node runs vitest.
const pinnedNode = join(root, 'node_modules/.bin/node');
const node = existsSync(pinnedNode) ? pinnedNode : process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-kafka-test-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const positive = expect.any(Number);

it('runs every case with tiny counts and reports every point scored', { timeout: 300_000 }, async () => {
  const json = join(dir, 'kafka.json');
  await promisify(execFile)(
    node,
    [
      join(root, 'bin/vigil.mjs'),
      'bench',
      'kafka',
      ...['--messages', '300', '--batch-messages', '20', '--series', '40', '--partitions', '4'],
      ...['--at', '600', '--seconds', '1', '--checkpoint-ms', '20,5000', '--peer-rounds', '1'],
      ...['--sustained-from', '200', '--sustained-steps', '2'],
      ...['--json', json],
    ],
    { cwd: root, timeout: 280_000, maxBuffer: 16 * 1024 * 1024 },
  );
  const r = JSON.parse(readFileSync(json, 'utf8'));
  expect(r).toMatchObject({ name: 'kafka', detector: 'ewma', series: 40, partitions: 4, failures: [] });
  expect(r.machine).toMatchObject({ cpus: positive, node: expect.stringMatching(/^v\d+/) });

  const byCase = new Map(r.cases.map((c: { case: string }) => [c.case, c]));
  expect([...byCase.keys()]).toEqual([
    'single',
    'batch100',
    'sustained',
    'latency',
    'latency-default-checkpoint',
    'transport',
  ]);
  // The sustained search ran its two steps (200, then 300 after a step that held, or 100 after
  // one that did not), each from a fresh topic; a step that held stored every point it sent.
  const sustained = byCase.get('sustained') as {
    sustainedMessagesPerSec: number;
    steps: { messagesPerSec: number; sent: number; held: boolean; why: string | null }[];
  };
  expect(sustained.steps).toHaveLength(2);
  expect(sustained.steps[0]!.messagesPerSec).toBe(200);
  expect(sustained.steps[1]!.messagesPerSec).toBe(sustained.steps[0]!.held ? 300 : 100);
  for (const st of sustained.steps) expect(st.held === (st.why === null)).toBe(true);
  expect(sustained.sustainedMessagesPerSec).toBe(
    Math.max(0, ...sustained.steps.filter((st) => st.held).map((st) => st.messagesPerSec)),
  );
  // The goals the run measured, each with its verdict: (a) the sustained rate, (b) latency against
  // Kafka alone at the same rate (600, given by --at) for both latency runs.
  expect(r.goals.map((g: { goal: string }) => g.goal.slice(0, 3))).toEqual(['(a)', '(b)', '(b)']);
  for (const g of r.goals.slice(1)) expect(typeof g.met).toBe('boolean');
  for (const [name, messages, perMessage] of [
    ['single', 300, 1],
    ['batch100', 20, 100],
  ] as const) {
    expect(byCase.get(name)).toMatchObject({
      messages,
      pointsPerMessage: perMessage,
      points: messages * perMessage,
      pointsScored: messages * perMessage,
      rejected: 0,
      messagesPerSec: positive,
      pointsPerSec: positive,
      storedSeconds: positive,
    });
  }
  for (const name of ['latency', 'latency-default-checkpoint']) {
    const c = byCase.get(name) as Record<string, unknown> & { pointsProduced: number; probes: number };
    expect(c).toMatchObject({
      atMessagesPerSec: 600,
      p50Ms: positive,
      p99Ms: positive,
      missed: 0,
      valid: true,
    });
    expect(c.probes).toBeGreaterThan(0);
    expect(c.generator).toMatchObject({ sent: 600, failed: 0 });
    expect(c.pointsProduced).toBe(600);
    expect(c.pointsScored).toBe(c.pointsProduced);
  }

  // The Kafka leg alone: every message due after the skipped first half second arrived.
  const t = byCase.get('transport') as Record<string, unknown> & {
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
  };
  expect(t).toMatchObject({
    transportMessagesPerSec: 600,
    skipSeconds: 0.5,
    sent: 300,
    measured: 300,
    valid: true,
  });
  expect(t.generator).toMatchObject({ sent: 600, failed: 0 });
  expect(t.p50Ms).toBeGreaterThan(0);
  expect(t.p99Ms).toBeGreaterThanOrEqual(t.p50Ms);
  expect(t.maxMs).toBeGreaterThanOrEqual(t.p99Ms);

  // Each client read all of each topic.
  expect(r.peers).toHaveLength(6);
  for (const p of r.peers) {
    const c = byCase.get(p.topic) as { messages: number; points: number };
    expect(p).toMatchObject({ messages: c.messages, points: c.points, messagesPerSec: positive });
  }
  expect(r.peers.map((p: { client: string }) => p.client)).toEqual(
    expect.arrayContaining(['@platformatic/kafka', 'kafkajs']),
  );

  const client = new pg.Client({ connectionString: service('postgres').VIGIL_PG_URL });
  await client.connect();
  try {
    const left = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
      `bench_kafka_${r.run}`,
    ]);
    expect(left.rowCount).toBe(0);
  } finally {
    await client.end();
  }
});
