/**
 * The services and the throwaway namespace one `vigil bench kafka` run works in: Kafka, PostgreSQL
 * and InfluxDB brought up through `scripts/services/<name>.sh up` (instant when already running),
 * a config for the run (its own topic prefix, PostgreSQL schema and InfluxDB database), and the
 * clean-up that removes all three afterwards.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { InfluxClient } from '../../adapters/influx/index.ts';
import { connectKafka, type KafkaClients } from '../../adapters/kafka/index.ts';
import { openScaledOut, type ScaledOut } from '../../app/backends.ts';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';

const SERVICES = ['kafka', 'postgres', 'influxdb'] as const;

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs each service's `up` and returns the `VIGIL_…` variables they print. */
export function servicesUp(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of SERVICES) {
    let out: string;
    try {
      out = execFileSync('bash', [join(root, 'scripts/services', `${name}.sh`), 'up'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 600_000,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`scripts/services/${name}.sh up failed: ${e.stderr ?? e.message}`);
    }
    for (const line of out.split('\n')) {
      const m = /^(?:export\s+)?(VIGIL_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
      if (m !== null) env[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
    }
  }
  return env;
}

export interface Stack {
  /** Unique per run: names the topics, schema and database. */
  run: string;
  config: Readonly<Config>;
  /** The adapters the detector worker uses (its own Kafka clients, pools, InfluxDB client). */
  out: ScaledOut;
  /** Separate clients for the bench's own work (pre-fill, topic deletion). */
  admin: KafkaClients;
  topic(name: string): string;
  /** Closes everything; unless `keep`, drops the run's topics, schema and database. */
  close(keep: boolean): Promise<void>;
}

export async function openStack(
  env: Record<string, string>,
  overrides: Record<string, unknown>,
): Promise<Stack> {
  const run = randomBytes(4).toString('hex');
  const name = `bench_kafka_${run}`;
  const config = loadConfig({
    env,
    overrides: {
      logLevel: 'warn',
      'kafka.topicPrefix': `vigil-bench-${run}`,
      'kafka.clientId': `vigil-bench-${run}`,
      'postgres.schema': name,
      'influx.database': name,
      ...overrides,
    },
  });
  const logger = pino({ level: config.logLevel }, pino.destination(2));
  const out = await openScaledOut(config, logger);
  const admin = connectKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-bench` });
  const topics: string[] = [];
  return {
    run,
    config,
    out,
    admin,
    topic: (t) => {
      const full = `${config.kafka.topicPrefix}.${t}`;
      if (!topics.includes(full)) topics.push(full);
      return full;
    },
    close: async (keep) => {
      // Every step runs even when an earlier one failed (a worker that cannot leave its group
      // must not leave the run's topics, schema and database behind).
      const failed: unknown[] = [];
      const step = (p: Promise<unknown>) => p.catch((err) => failed.push(err));
      await step(out.close());
      if (!keep) {
        await step(admin.topics.delete(topics));
        await step(dropSchema(config.postgres.url, name));
        await step(
          new InfluxClient({ url: config.influx.url, database: name }).command(`DROP DATABASE "${name}"`),
        );
      }
      await step(admin.close());
      if (failed.length > 0) throw new AggregateError(failed, `bench kafka: clean-up of run ${run} failed`);
    },
  };
}
