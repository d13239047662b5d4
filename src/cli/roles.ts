/** `vigil api|processor|detector|alerter`: the scaled-out roles (docs/deployment.md). */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';

const ROLES = {
  api: 'stateless HTTP ingest (→ Kafka) and queries (InfluxDB, PostgreSQL); run 2+ behind a load balancer',
  processor:
    'consumer group on the ingest topic: validate, drop duplicates and too-late points, publish clean points',
  detector:
    'consumer group on the points topic: score, write scores to InfluxDB and anomalies to PostgreSQL and Kafka',
  alerter:
    'one active (PostgreSQL lock) + standbys: anomalies topic → incidents, rules, silences; delivers notifications',
} as const;

type RoleName = keyof typeof ROLES;

export function registerRoles(program: Command): void {
  for (const role of Object.keys(ROLES) as RoleName[]) {
    program
      .command(role)
      .description(ROLES[role])
      .option('-c, --config <file>', 'JSON config file (see docs/configuration.md)')
      .option(
        '-p, --port <port>',
        'HTTP port for health, metrics (and the API) [env VIGIL_PORT] (default 8080)',
      )
      .option('--host <host>', 'listen address [env VIGIL_HOST] (default 127.0.0.1; others need auth.mode)')
      .action(async (o: { config?: string; port?: string; host?: string }) => {
        const config = loadConfig({
          ...(o.config !== undefined ? { file: o.config } : {}),
          env: process.env,
          overrides: { 'http.port': o.port === undefined ? undefined : Number(o.port), 'http.host': o.host },
        });
        const mod =
          role === 'api'
            ? (await import('../app/api.ts')).startApi
            : role === 'processor'
              ? (await import('../app/processor.ts')).startProcessor
              : role === 'detector'
                ? (await import('../app/detector.ts')).startDetector
                : (await import('../app/alerter-role.ts')).startAlerterRole;
        const handle = await mod(config);
        // The alerter cannot go on after a failed change or a lost lock: a restart resumes it.
        if ('failed' in handle)
          void handle.failed.then(async () => {
            await handle.close().catch(() => {});
            process.exit(1);
          });
        const stop = async (signal: string) => {
          process.stderr.write(`vigil ${role}: ${signal}, shutting down gracefully…\n`);
          await handle.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
      });
  }
}
