/** `vigil bench <name>`: each benchmark registers a subcommand from its own file. */
import type { Command } from 'commander';
import { registerAlerts } from './alerts.ts';
import { registerAuth } from './auth.ts';
import { registerCardinality } from './cardinality.ts';
import { registerIncidents } from './incidents.ts';
import { registerIngest } from './ingest.ts';
import { registerKafka } from './kafka.ts';
import { registerNab } from './nab.ts';
import { registerPeers } from './peers.ts';

export function registerBench(program: Command): void {
  const bench = program
    .command('bench')
    .description('run a benchmark; prints figures and writes a JSON result (see bench/README.md)');
  registerAlerts(bench);
  registerAuth(bench);
  registerCardinality(bench);
  registerIncidents(bench);
  registerIngest(bench);
  registerKafka(bench);
  registerNab(bench);
  registerPeers(bench);
}
