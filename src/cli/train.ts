/**
 * `vigil train --model NAME --selector SEL [--from T] [--to T] [--budget N]`: trains a model on the
 * history of a running Vigil (its HTTP API, `--url`) and records it in the configured registry
 * (`models.registry`: the files under the data dir, or MLflow). docs/models.md, "Training".
 *
 * Exit codes, for a CronJob or CI to act on (docs/models.md lists them):
 *   0   registered and promoted (the production alias moved to the new version)
 *   10  registered, not promoted (did not beat production; tagged `candidate`)
 *   2   bad usage or input (options, selector, model name, no series or points, refused key)
 *   3   unknown model, alias or version
 *   4   Vigil or the registry unavailable (retry later)
 *   1   anything else
 */
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { isVigilError } from '../core/errors.ts';
import { MAX_TS } from '../core/point.ts';
import { Progress } from './progress.ts';

export const EXIT_PROMOTED = 0;
export const EXIT_CANDIDATE = 10;
export const EXIT_USAGE = 2;
export const EXIT_UNKNOWN_MODEL = 3;
export const EXIT_UNAVAILABLE = 4;
export const EXIT_OTHER = 1;

interface TrainCliOptions {
  model: string;
  selector?: string;
  from?: string;
  to?: string;
  budget: string;
  families?: string;
  targetRate?: string;
  workers?: string;
  candidateFrom: string[];
  url: string;
  apiKey?: string;
  config?: string;
  dataDir?: string;
  maxSeries: string;
  json?: boolean;
  progress: boolean;
  candidateExitCode: string;
}

class UsageError extends Error {}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** `from`/`to`: epoch ms, an RFC 3339 date, or a duration before now (`30d`, `12h`). */
export function parseTime(text: string, field: string, now: number): number {
  const t = text.trim();
  const d = /^(\d{1,9})([smhdw])$/.exec(t);
  if (d !== null) return now - Number(d[1]) * UNIT_MS[d[2]!]!;
  if (/^\d{1,16}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new UsageError(
    `--${field}: "${text}" is not epoch ms, an RFC 3339 date or a duration before now (30d, 12h)`,
  );
}

function positiveInt(text: string, field: string, max = 1_000_000): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${field}: must be an integer in 1..${max}, got "${text}"`);
  return n;
}

/** The exit code of a failed training. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT_USAGE;
  if (!isVigilError(err)) return EXIT_OTHER;
  if (err.code === 'VIGIL_ERR_UNKNOWN_MODEL') return EXIT_UNKNOWN_MODEL;
  if (err.retriable) return EXIT_UNAVAILABLE;
  if (err.status >= 400 && err.status < 500) return EXIT_USAGE;
  return EXIT_OTHER;
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description(
      'backtest candidate pipelines on stored history and feedback, register the winner, promote it if it beats production',
    )
    .requiredOption('--model <name>', 'the model to train (created on first training)')
    .option(
      '--selector <selector>',
      "the series to train on, e.g. 'cpu{env=\"prod\"}' (default: the model's current selector)",
    )
    .option('--from <time>', 'history from (epoch ms, RFC 3339, or a duration before now: 30d); default: all')
    .option('--to <time>', 'history until, exclusive; default: now')
    .option(
      '--budget <n>',
      'candidate pipelines to backtest, production and the engine default included',
      '16',
    )
    .option(
      '--families <list>',
      'search only these presets/detectors, comma-separated (default: all selectable but the heavy cad-ose, knn-cad, rcf)',
    )
    .option(
      '--target-rate <alerts>',
      'alert-rate objective (no labels): target alerts per series per day',
      '1',
    )
    .option('--workers <n>', 'worker threads (default: every core)')
    .option(
      '--candidate-from <ref>',
      'also evaluate a registered pipeline: model@alias or model/version (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--url <url>',
      'the Vigil HTTP API to read history from [env VIGIL_URL]',
      process.env.VIGIL_URL ?? 'http://127.0.0.1:8080',
    )
    .option('--api-key <key>', 'API key with the read scope [env VIGIL_API_KEY]')
    .option('--max-series <n>', 'most series one training reads', '10000')
    .option('-c, --config <file>', 'JSON config file: models.* and engine.* (see docs/configuration.md)')
    .option('-d, --data-dir <dir>', 'data directory of the files registry [env VIGIL_DATA_DIR]')
    .option(
      '--candidate-exit-code <code>',
      'exit code when the winner did not beat production (registered, tagged candidate): 10, or 0 to count it as success',
      '10',
    )
    .option('--json', 'print the result as JSON on stdout')
    .option('--no-progress', 'no progress bar on stderr')
    .exitOverride((err) => {
      process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE);
    })
    .action(async (o: TrainCliOptions) => {
      try {
        process.exitCode = await trainCommand(o);
      } catch (err) {
        const code = exitCodeOf(err);
        const what = isVigilError(err)
          ? `${err.code}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
        process.stderr.write(`vigil train: ${what}\n`);
        if (
          code === EXIT_OTHER &&
          err instanceof Error &&
          !isVigilError(err) &&
          !(err instanceof UsageError)
        ) {
          process.stderr.write(`${err.stack ?? ''}\n`);
        }
        process.exitCode = code;
      }
    });
}

async function trainCommand(o: TrainCliOptions): Promise<number> {
  const now = Date.now();
  const from = o.from === undefined ? 0 : parseTime(o.from, 'from', now);
  const to = o.to === undefined ? Math.min(MAX_TS, now + 1) : parseTime(o.to, 'to', now);
  if (!(to > from)) throw new UsageError(`--from must be before --to (${from} >= ${to})`);
  const budget = positiveInt(o.budget, 'budget', 10_000);
  const maxSeries = positiveInt(o.maxSeries, 'max-series', 100_000);
  const workers = o.workers === undefined ? availableParallelism() : positiveInt(o.workers, 'workers', 1024);
  const target = Number(o.targetRate ?? '1');
  if (!(target > 0 && Number.isFinite(target)))
    throw new UsageError(`--target-rate: must be a number > 0, got "${o.targetRate}"`);
  if (o.candidateExitCode !== '0' && o.candidateExitCode !== '10') {
    throw new UsageError(`--candidate-exit-code: must be 10 or 0, got "${o.candidateExitCode}"`);
  }
  const families = o.families
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

  const config = loadConfig({
    ...(o.config !== undefined ? { file: o.config } : {}),
    env: process.env,
    overrides: { dataDir: o.dataDir },
  });
  // Loaded here, not at the top: `vigil --help` and other commands must not load them.
  const [
    { openModelRegistry },
    { runTraining },
    { HttpTrainingHistory, VigilApiClient },
    { builtinDetectors },
    { defaultSeriesConfig },
  ] = await Promise.all([
    import('../app/model-registry.ts'),
    import('../app/train.ts'),
    import('../adapters/vigil-api/index.ts'),
    import('../core/detectors/index.ts'),
    import('../app/series-config.ts'),
  ]);
  const history = new HttpTrainingHistory(
    new VigilApiClient({
      url: o.url,
      ...((o.apiKey ?? process.env.VIGIL_API_KEY) ? { apiKey: o.apiKey ?? process.env.VIGIL_API_KEY } : {}),
    }),
  );
  const registry = await openModelRegistry(config);
  let shown = 0;
  let progress: Progress | undefined;
  try {
    const r = await runTraining(
      { history, registry },
      {
        model: o.model,
        ...(o.selector !== undefined ? { selector: o.selector } : {}),
        from,
        to,
        budget,
        ...(families !== undefined ? { families } : {}),
        targetAlertsPerDay: target,
        workers,
        candidateFrom: o.candidateFrom,
        experiment: config.models.experiment,
        maxSeries,
        engineDefault: defaultSeriesConfig(config, builtinDetectors()).pipeline,
        allowedLatenessMs: config.engine.allowedLatenessMs,
        now,
        log: (line) => process.stderr.write(`${line}\n`),
        onProgress: (done, total) => {
          if (!o.progress) return;
          progress ??= new Progress(`backtest ${o.model} (points)`, total);
          progress.tick(done - shown);
          shown = done;
        },
      },
    );
    progress?.finish();
    const t = r.training;
    const w = r.spec.report!;
    const lines = [
      `vigil train: ${o.model} version ${r.version.version}: ${w.winner ? (w.winner as { name: string }).name : ''} ${t.objective} ${w.score.toFixed(2)}` +
        (w.productionScore !== undefined
          ? ` vs production ${w.productionScore.toFixed(2)} (version ${r.previous?.version})`
          : ' (no production version)'),
      r.promoted
        ? `vigil train: promoted: ${o.model}@production -> version ${r.version.version}`
        : `vigil train: not promoted (does not beat production): version ${r.version.version} tagged candidate`,
      `vigil train: ${t.results.length} candidates over ${t.points} points in ${(t.wallMs / 1000).toFixed(1)} s on ${t.workers} workers (${((t.points * t.results.length) / Math.max(1e-9, t.cpuMs / 1000) / 1000).toFixed(1)}k points per CPU-second); registry ${registry.description}`,
    ];
    process.stderr.write(`${lines.join('\n')}\n`);
    if (o.json === true) {
      process.stdout.write(
        `${JSON.stringify({ model: o.model, version: r.version.version, promoted: r.promoted, previous: r.previous?.version ?? null, report: w })}\n`,
      );
    }
    return r.promoted ? EXIT_PROMOTED : Number(o.candidateExitCode);
  } finally {
    await registry.close();
  }
}
