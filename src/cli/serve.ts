/** `vigil serve`: the whole system in one process (what `npm start` runs). */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run ingest, detection, storage and the HTTP API in one process (SQLite under --data-dir)')
    .option('-c, --config <file>', 'JSON config file (see docs/configuration.md)')
    .option('-d, --data-dir <dir>', 'data directory [env VIGIL_DATA_DIR] (default ./.vigil)')
    .option('-p, --port <port>', 'HTTP port [env VIGIL_PORT] (default 8080)')
    .option('--host <host>', 'listen address [env VIGIL_HOST] (default 127.0.0.1; others need auth.mode)')
    .option('--detector <name>', 'default detector [env VIGIL_DETECTOR]')
    .option('--demo', 'load the labelled sample series from examples/ so anomalies show at once')
    .action(
      async (o: {
        config?: string;
        dataDir?: string;
        port?: string;
        host?: string;
        detector?: string;
        demo?: boolean;
      }) => {
        const config = loadConfig({
          ...(o.config !== undefined ? { file: o.config } : {}),
          env: process.env,
          overrides: {
            dataDir: o.dataDir,
            'http.port': o.port === undefined ? undefined : Number(o.port),
            'http.host': o.host,
            'engine.detector': o.detector,
          },
        });
        // Loaded lazily so other commands do not pay for the HTTP stack.
        const { startEmbedded } = await import('../app/embedded.ts');
        const demo = o.demo === true ? await import('../app/demo.ts') : undefined;
        const server = await startEmbedded(demo === undefined ? config : demo.demoConfig(config));
        const stop = async (signal: string) => {
          process.stderr.write(`vigil: ${signal}, draining and checkpointing…\n`);
          await server.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        if (demo !== undefined) {
          const n = await demo.loadDemo(server.ingest, (key) => server.knownSeries(key));
          process.stderr.write(
            `vigil: demo loaded ${n} points; open ${server.url}/ (the web UI), or try ${server.url}/api/v1/anomalies and ${server.url}/docs\n`,
          );
        }
      },
    );
}
