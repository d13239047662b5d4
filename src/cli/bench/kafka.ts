/**
 * `vigil bench kafka`: the command and its options. The run (kafka-run.ts) is imported only when
 * the command runs, so other commands, `vigil serve` among them, never load the Kafka, PostgreSQL
 * and Redis clients it needs (~400 modules the server's heap would otherwise keep and its major
 * garbage collections mark).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const CASES = ['single', 'batch100', 'peers', 'sustained', 'latency', 'transport'] as const;

export interface KafkaBenchOptions {
  json: string;
  cases: string;
  messages: string;
  batchMessages: string;
  series: string;
  partitions: string;
  detector: string;
  at?: string;
  seconds: string;
  checkpointMs: string;
  latencyPoints: string;
  sustainedFrom?: string;
  sustainedSteps: string;
  influxLayout: string;
  set: string[];
  peerRounds: string;
  timeout: string;
  keep?: boolean;
}

export function registerKafka(bench: Command): void {
  bench
    .command('kafka')
    .description(
      'one detector worker on Kafka + PostgreSQL + InfluxDB: messages/s and points/s (1-point and 100-point ' +
        'messages), the sustained end-to-end rate (scored and stored, no growing lag), latency to the ' +
        'stored anomaly at a fixed rate against Kafka alone, and the client layer against KafkaJS',
    )
    .option('--json <file>', 'where to write the results', join(ROOT, 'bench/results/kafka.json'))
    .option('--cases <list>', `cases to run, of ${CASES.join(',')}`, CASES.join(','))
    .option('--messages <n>', '1-point messages of the single case', '500000')
    .option('--batch-messages <n>', '100-point messages of the batch100 case', '20000')
    .option('--series <n>', 'distinct series (registered in the catalog)', '10000')
    .option('--partitions <n>', 'partitions of each topic', '12')
    .option('--detector <name>', 'detector of the worker', 'ewma')
    .option(
      '--at <rate>',
      'messages/s of the latency and transport runs (default: half the sustained rate, else half the ' +
        "single case's messages/s)",
    )
    .option(
      '--sustained-from <rate>',
      "first rate the sustained search tries (default: the single case's stored points/s, else 20000)",
    )
    .option('--sustained-steps <n>', 'runs of the sustained search', '6')
    .option('--influx-layout <layout>', 'influx.layout of the worker: compact or fields', 'compact')
    .option(
      '--set <key=value>',
      'a config key of the run (e.g. kafka.fetchMinBytes=65536; numbers as numbers); repeatable',
      (v: string, all: string[]) => [...all, v],
      [] as string[],
    )
    .option(
      '--seconds <n>',
      'measured seconds of each latency run (after its warm-up), of the transport run and of each sustained step',
      '20',
    )
    .option('--checkpoint-ms <list>', 'checkpoint intervals of the latency runs', '20,5000')
    .option('--latency-points <n>', 'points per message in the latency runs', '1')
    .option('--peer-rounds <n>', 'runs of each client on each topic; the best counts', '2')
    .option('--timeout <s>', 'bound on each phase', '600')
    .option('--keep', "keep the run's topics, PostgreSQL schema and InfluxDB database")
    .action(async (o: KafkaBenchOptions) => {
      const { runKafkaBench } = await import('./kafka-run.ts');
      await runKafkaBench(o);
    });
}
