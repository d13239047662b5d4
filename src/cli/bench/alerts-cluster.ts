/**
 * The scaled-out target of `vigil bench alerts --cluster`: the reference deployment started the
 * way `npm run cluster` starts it (scripts/cluster.mjs: Kafka, PostgreSQL primary + replica, Redis
 * Cluster and InfluxDB through scripts/services, then 3 processors, 2 detectors, 1 alerter, 2 APIs
 * and nginx), as a named deployment of its own (`--name`: own processes, nginx, topic prefix,
 * PostgreSQL schema, InfluxDB database and Redis key prefix) with the bench's config file: the
 * background detector, the webhook notifier and the probe rule (`alerting`, read by every role:
 * the alerter evaluates the rule and delivers through the PostgreSQL outbox).
 *
 * `stop()` stops every process the deployment started; a service that was not running before the
 * bench is stopped too (its data goes with it), one that was keeps running and loses only the
 * run's topics, schema and database.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { InfluxClient } from '../../adapters/influx/index.ts';
import { connectKafka } from '../../adapters/kafka/index.ts';
import { topicsOf } from '../../app/backends.ts';
import { loadConfig } from '../../config/load.ts';

const SERVICES = ['kafka', 'postgres', 'redis', 'influxdb'] as const;

/** Where a bench sends its load and reads the scoring side's metrics. */
export interface AlertsTarget {
  /** The HTTP API: `vigil serve`, or nginx in front of the `vigil api` replicas. */
  url: string;
  /** Processes whose /metrics count scored and rejected points (the engine's side). */
  countUrls: string[];
  /** Processes whose /metrics `vigil_pipeline_lag_points` add up to the deployment's lag. */
  lagUrls: string[];
  /** How long a per-series config set through the API may take to reach the scoring processes. */
  configSettleMs: number;
  /** What was started, for the first line of output. */
  describe: string;
  stop(): Promise<void>;
}

/** What `npm run cluster up` prints: the nginx URL, each role's URL, the services' variables. */
export interface ClusterEndpoints {
  url: string;
  roles: { role: string; index: number; url: string }[];
  env: Record<string, string>;
}

/** Parses the standard output of `scripts/cluster.mjs up` (pure). */
export function parseClusterOutput(text: string): ClusterEndpoints {
  let url: string | undefined;
  const roles: ClusterEndpoints['roles'] = [];
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const role = /^# (\w+)-(\d+): (http:\/\/\S+) /.exec(line);
    if (role !== null) roles.push({ role: role[1]!, index: Number(role[2]), url: role[3]! });
    const v = /^export (VIGIL_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (v === null) continue;
    if (v[1] === 'VIGIL_CLUSTER_URL') url = v[2];
    else env[v[1]!] = v[2]!;
  }
  if (url === undefined || url === '' || url === 'undefined') {
    throw new Error(`scripts/cluster.mjs printed no VIGIL_CLUSTER_URL:\n${text}`);
  }
  return { url, roles, env };
}

function running(root: string, service: string): boolean {
  const r = spawnSync('bash', [join(root, 'scripts/services', `${service}.sh`), 'status'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

/** Runs scripts/cluster.mjs with `args`; its progress goes to stderr, its stdout is returned. */
function clusterScript(root: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'scripts/cluster.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`scripts/cluster.mjs ${args[0]} exited ${code}`)),
    );
  });
}

/** Drops what the run left in services that keep running: topics, schema, database. */
async function dropRunData(configFile: string, env: Record<string, string>): Promise<void> {
  const config = loadConfig({ file: configFile, env });
  const kafka = connectKafka(config.kafka);
  try {
    await kafka.topics.delete(Object.values(topicsOf(config)));
  } finally {
    await kafka.close();
  }
  const client = new pg.Client({ connectionString: config.postgres.url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${config.postgres.schema} CASCADE`);
  } finally {
    await client.end();
  }
  await new InfluxClient({ url: config.influx.url, database: config.influx.database }).command(
    `DROP DATABASE "${config.influx.database}"`,
  );
}

/**
 * Starts the deployment with `config` (top-level sections, e.g. `alerting`) merged over the run's
 * own namespace; the background series get `detector`.
 */
export async function startBenchCluster(o: {
  root: string;
  detector: string;
  config: Record<string, unknown>;
}): Promise<AlertsTarget> {
  const run = `bench_alerts_${randomBytes(4).toString('hex')}`;
  const name = run.replaceAll('_', '-');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-cluster-'));
  const configFile = join(dir, 'config.json');
  const configPollMs = 5000;
  writeFileSync(
    configFile,
    JSON.stringify({
      logLevel: 'warn',
      engine: { detector: o.detector, configPollMs },
      kafka: { topicPrefix: `vigil-${name}` },
      postgres: { schema: run },
      influx: { database: run },
      redis: { keyPrefix: `${run}:` },
      ...o.config,
    }),
  );
  const before = new Set(SERVICES.filter((s) => running(o.root, s)));
  let endpoints: ClusterEndpoints | undefined;
  const stop = async () => {
    const failed: unknown[] = [];
    await clusterScript(o.root, ['down', '--name', name, '--keep-services']).catch((e) => failed.push(e));
    if (endpoints !== undefined && before.size > 0) {
      await dropRunData(configFile, endpoints.env).catch((e) => failed.push(e));
    }
    for (const s of SERVICES) {
      if (before.has(s)) continue;
      const r = spawnSync('bash', [join(o.root, 'scripts/services', `${s}.sh`), 'down'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) failed.push(new Error(`scripts/services/${s}.sh down exited ${r.status}`));
    }
    rmSync(dir, { recursive: true, force: true });
    if (failed.length > 0) throw new AggregateError(failed, `bench alerts: stopping cluster ${name} failed`);
  };
  try {
    endpoints = parseClusterOutput(
      await clusterScript(o.root, ['up', '--name', name, '--config', configFile]),
    );
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  const of = (role: string) => endpoints!.roles.filter((r) => r.role === role).map((r) => r.url);
  const count = (role: string) => of(role).length;
  return {
    url: endpoints.url,
    countUrls: of('detector'),
    lagUrls: of('detector'),
    // A poll, plus one for a poll already running when the config was stored.
    configSettleMs: 2 * configPollMs + 1000,
    describe: `npm run cluster (--name ${name}): nginx ${endpoints.url} → ${count('api')} api, ${count('processor')} processor, ${count('detector')} detector, ${count('alerter')} alerter; services already running: ${[...before].join(', ') || 'none'}`,
    stop,
  };
}
