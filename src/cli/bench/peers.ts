/**
 * `vigil bench peers`: runs peer libraries (River's HalfSpaceTrees, rrcf's streaming forest) and
 * our detectors over the same NAB files in one run, scores all of them with our NAB scorer, and
 * prints detector, NAB scores, throughput and the speed ratio against our comparable detector.
 *
 * The peers run in Python (`bench/peers/run_peer.py`, in the venv that `bench/peers/setup.sh`
 * makes), on a pool of `--workers` processes fed one file at a time. Our detectors run after
 * them, in this thread, one file at a time. Both sides are timed the same way: the per-file
 * scoring loops summed, one thread, excluding start-up and CSV I/O, as wall time and as that
 * thread's CPU time. The speed ratio uses CPU time, which other load on a shared machine inflates
 * far less than wall time. Every detector gets NAB's rules (the file's min/max and probation) and
 * a fresh model per file.
 *
 * A subset (`--files N`, `--rrcf-max-points M`) changes the corpus, so its NAB scores compare
 * only with scores on that same subset, never with the full-corpus leaderboard. Results of runs
 * on different subsets are kept apart in the JSON, keyed by the subset.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError } from 'commander';
import { loadNabCorpus, type NabCorpusFile } from '../../adapters/nab/corpus-loader.ts';
import { readNabResults } from '../../adapters/nab/results-reader.ts';
import { probationaryLength } from '../../core/bench/nab/probation.ts';
import { scoreDetector } from '../../core/bench/nab/score-detector.ts';
import type { DetectorHints } from '../../core/detectors/detector.ts';
import { builtinDetectors } from '../../core/detectors/index.ts';
import { VigilError } from '../../core/errors.ts';
import { type Pipelines, pipelinesOf } from '../../core/pipeline/pipelines.ts';
import { Progress } from '../progress.ts';
import { DEFAULT_CORPUS } from './nab.ts';
import { runSeries } from './nab-worker.ts';
import {
  formatTable,
  mergeReport,
  PEERS,
  type PeerName,
  type PeerRow,
  type PeersReport,
  type PeersRun,
  withSpeedRatios,
} from './peers-report.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SETUP = join(REPO_ROOT, 'bench/peers/setup.sh');
const RUNNER = join(REPO_ROOT, 'bench/peers/run_peer.py');
const VENV = process.env.VIGIL_BENCH_VENV ?? join(REPO_ROOT, '.venv-bench');

/** Params pinned for our detectors so the comparison holds if their defaults move. */
const OUR_PARAMS: Readonly<Record<string, Record<string, unknown>>> = {
  rcf: { trees: 40, treeSize: 256, shingleSize: 4 },
};

export interface PeersBenchOptions {
  corpus?: string;
  /** Our detectors (names or aliases); `rcf` (if registered), `default`, `ewma` when absent. */
  detectors?: string[];
  peers: PeerName[];
  /** File count of the subset, or every file when absent. */
  files?: number;
  /** Cut every file to its first M rows (all detectors alike, so the comparison holds). */
  rrcfMaxPoints?: number;
  json?: string;
  /** Peers' raw results root, NAB layout; bench/results/nab when absent. */
  results?: string;
  workers: number;
  seed: number;
}

export function registerPeers(bench: Command): void {
  bench
    .command('peers')
    .description('run River HST and rrcf beside our detectors on NAB and compare scores and speed')
    .option('--corpus <dir>', 'NAB corpus root (default bench/datasets/nab, vendored)')
    .option('--detectors <list>', 'our detectors, comma-separated (default rcf,default,ewma)', list)
    .option('--peers <list>', 'peers to run: hst, rrcf', peerList, [...PEERS])
    .option('--files <n|all>', 'a deterministic subset of N files (every k-th, by category)', fileCount)
    .option('--rrcf-max-points <m>', 'cut every file to its first M rows (for slow rrcf runs)', integer(16))
    .option('--json <file>', 'result JSON, merged by subset (default bench/results/peers.json)')
    .option('--results <dir>', "peers' raw results root, NAB layout (default bench/results/nab)")
    .option('--workers <n>', 'Python processes for the peers', integer(1), 2)
    .option('--seed <n>', 'seed for every model', integer(0), 0)
    .action(async (opts: PeersBenchOptions) => {
      await runPeersBench(opts, (text) => process.stdout.write(text));
    });
}

export async function runPeersBench(
  options: PeersBenchOptions,
  write: (text: string) => void,
): Promise<PeersRun> {
  const pipelines = pipelinesOf(builtinDetectors());
  const ours =
    options.detectors ?? ['rcf', 'default', 'ewma'].filter((d) => pipelines.selectable().includes(d));
  for (const d of ours) pipelines.named(d);
  const corpusDir = resolve(options.corpus ?? DEFAULT_CORPUS);
  if (!existsSync(corpusDir)) {
    throw new VigilError('VIGIL_ERR_NOT_FOUND', `no NAB corpus at ${corpusDir}; pass --corpus DIR`);
  }
  const corpus = await loadNabCorpus(corpusDir);
  const chosen = selectFiles(
    corpus.files.map((f) => f.name),
    options.files ?? corpus.files.length,
  );
  const byName = new Map(corpus.files.map((f) => [f.name, f]));
  const files = chosen.map((n) => truncateFile(byName.get(n)!, options.rrcfMaxPoints));
  const points = files.reduce((n, f) => n + f.length, 0);
  const maxPoints = options.rrcfMaxPoints ?? null;
  const key = `files=${files.length}/${corpus.files.length};maxPoints=${maxPoints ?? 'all'}`;
  write(`${describeSubset(files.length, corpus.files.length, maxPoints, points)}\n`);

  const now = new Date().toISOString();
  const rows: PeerRow[] = [];
  let versions: Record<string, string> = {};
  if (options.peers.length > 0) {
    const python = ensureVenv(write);
    const resultsRoot = resolve(options.results ?? join(REPO_ROOT, 'bench/results/nab'));
    const run = await runPeers(python, corpusDir, resultsRoot, files, options);
    versions = run.versions;
    for (const peer of options.peers) {
      const scores = await readNabResults(resultsRoot, peer, files);
      const t = run.timing[peer]!;
      rows.push(row(peer, 'peer', scoreDetector(files, scores, corpus.profiles), points, t, now));
    }
  }
  for (const name of ours) {
    const { scores, time } = runOurs(pipelines, name, files, options.seed);
    const r = row(name, 'vigil', scoreDetector(files, scores, corpus.profiles), points, time, now);
    const resolved = pipelines.named(name).name ?? name;
    rows.push(resolved === name ? r : { ...r, resolved });
  }

  const runRecord: PeersRun = {
    key,
    subset: { files: files.length, of: corpus.files.length, maxPoints, names: chosen },
    points,
    command: `vigil ${process.argv.slice(2).join(' ')}`,
    rows: withSpeedRatios(rows),
  };
  const jsonPath = resolve(options.json ?? join(REPO_ROOT, 'bench/results/peers.json'));
  const report = mergeReport(await readReport(jsonPath), runRecord, versions);
  await mkdir(dirname(jsonPath), { recursive: true });
  await writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const merged = report.runs.find((r) => r.key === key)!;
  write(formatTable(merged.rows));
  write(`wrote ${jsonPath}\n`);
  return merged;
}

/**
 * A deterministic subset of `n` files: the names sorted (so grouped by category) and picked at
 * evenly spaced positions, the middle of each of `n` equal strides. Every category gets its
 * share of picks, rounded up or down (a category smaller than one stride may get none).
 */
export function selectFiles(names: readonly string[], n: number): string[] {
  const sorted = [...names].sort();
  if (n >= sorted.length) return sorted;
  const picked: string[] = [];
  for (let k = 0; k < n; k++) picked.push(sorted[Math.floor(((k + 0.5) * sorted.length) / n)]!);
  return picked;
}

/** The file cut to its first `max` rows: windows past the cut dropped, one across it clipped. */
export function truncateFile(file: NabCorpusFile, max: number | undefined): NabCorpusFile {
  if (max === undefined || file.length <= max) return file;
  return {
    ...file,
    length: max,
    windows: file.windows
      .filter((w) => w.start < max)
      .map((w) => ({ start: w.start, end: Math.min(w.end, max - 1) })),
    timestamps: file.timestamps.slice(0, max),
    ts: file.ts.slice(0, max),
    values: file.values.slice(0, max),
  };
}

function describeSubset(files: number, of: number, maxPoints: number | null, points: number): string {
  const which =
    files === of ? `all ${of} files` : `subset: ${files} of ${of} files (every k-th, by category)`;
  const cut = maxPoints === null ? '' : `, each cut to its first ${maxPoints} rows`;
  const note = files === of && maxPoints === null ? '' : '; NAB scores compare only within this subset';
  return `NAB peers: ${which}${cut}, ${points.toLocaleString('en-US')} points${note}`;
}

function row(
  detector: string,
  kind: PeerRow['kind'],
  profiles: readonly { profile: string; score: number }[],
  points: number,
  time: Timing,
  measuredAt: string,
): PeerRow {
  return {
    detector,
    kind,
    scores: Object.fromEntries(profiles.map((p) => [p.profile, p.score])),
    points,
    seconds: time.wall,
    pointsPerSec: points / Math.max(time.wall, 1e-9),
    cpuSeconds: time.cpu,
    cpuPointsPerSec: points / Math.max(time.cpu, 1e-9),
    measuredAt,
  };
}

/** Seconds of scoring, wall clock and CPU time of the scoring thread. */
interface Timing {
  wall: number;
  cpu: number;
}

function cpuNow(): number {
  const { user, system } = process.threadCpuUsage();
  return (user + system) / 1e6;
}

/** NAB's rules, as `vigil bench nab --mode nab` hands them: the file's min/max and probation. */
function nabHints(file: NabCorpusFile, seed: number): DetectorHints {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of file.values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max, probationaryLength: probationaryLength(file.length), seed };
}

function runOurs(
  pipelines: Pipelines,
  name: string,
  files: readonly NabCorpusFile[],
  seed: number,
): { scores: Float64Array[]; time: Timing } {
  // The pipeline the name selects, with the detector's pinned params over its defaults.
  const base = pipelines.named(name);
  const pinned = OUR_PARAMS[base.detector.name] ?? {};
  const declaration = pipelines.resolve({
    ...base,
    detector: { name: base.detector.name, params: { ...base.detector.params, ...pinned } },
  });
  const bar = new Progress(
    `vigil ${name}`,
    files.reduce((n, f) => n + f.length, 0),
  );
  const time: Timing = { wall: 0, cpu: 0 };
  const scores = files.map((file) => {
    const hints = nabHints(file, seed);
    const started = performance.now();
    const cpuStarted = cpuNow();
    const r = runSeries((h) => pipelines.create(declaration, undefined, h), file.ts, file.values, hints);
    time.cpu += cpuNow() - cpuStarted;
    time.wall += (performance.now() - started) / 1000;
    bar.tick(file.length);
    return r.scores;
  });
  bar.finish();
  return { scores, time };
}

/** The venv's python, after running setup.sh when the venv or its packages are missing. */
function ensureVenv(write: (text: string) => void): string {
  const python = join(VENV, 'bin', 'python');
  const ready =
    existsSync(python) && spawnSync(python, ['-c', 'import river, rrcf'], { stdio: 'ignore' }).status === 0;
  if (!ready) {
    write(`setting up ${VENV} (bench/peers/setup.sh)\n`);
    const setup = spawnSync('bash', [SETUP], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (setup.status !== 0) {
      throw new Error(
        `bench/peers/setup.sh failed (exit ${setup.status ?? setup.signal}); see its message above`,
      );
    }
  }
  return python;
}

interface PeerFileLine {
  peer?: string;
  file?: string;
  points?: number;
  seconds?: number;
  cpuSeconds?: number;
  error?: string;
  versions?: Record<string, string>;
}

/**
 * Runs every (peer, file) on a pool of Python processes, costliest first (rrcf is ~100× slower
 * per point than HST), one task per message so free processes pick up the rest.
 */
async function runPeers(
  python: string,
  corpusDir: string,
  resultsRoot: string,
  files: readonly NabCorpusFile[],
  options: PeersBenchOptions,
): Promise<{ versions: Record<string, string>; timing: Record<string, Timing> }> {
  const cost = (peer: string, f: NabCorpusFile) => f.length * (peer === 'rrcf' ? 100 : 1);
  const queue = options.peers
    .flatMap((peer) => files.map((f) => ({ peer, file: f })))
    .sort((a, b) => cost(b.peer, b.file) - cost(a.peer, a.file));
  const timing: Record<string, Timing> = Object.fromEntries(
    options.peers.map((p) => [p, { wall: 0, cpu: 0 }]),
  );
  let versions: Record<string, string> = {};
  const bar = new Progress(
    `peers ${options.peers.join('+')}`,
    queue.reduce((n, t) => n + t.file.length, 0),
  );
  const args = [
    RUNNER,
    '--stdin',
    '--corpus',
    corpusDir,
    '--results',
    resultsRoot,
    '--seed',
    String(options.seed),
  ];
  if (options.rrcfMaxPoints !== undefined) args.push('--max-points', String(options.rrcfMaxPoints));
  const worker = async () => {
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((ok, fail) => {
      child.on('error', fail);
      child.on('close', ok);
    });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const next = async (): Promise<PeerFileLine> => {
      const line = await lines.next();
      if (line.done === true) throw new Error(`run_peer.py exited early (code ${await exited})`);
      return JSON.parse(line.value) as PeerFileLine;
    };
    try {
      versions = (await next()).versions ?? versions;
      for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
        child.stdin.write(`${task.peer} ${task.file.name}\n`);
        const done = await next();
        if (done.error !== undefined || done.points !== task.file.length) {
          throw new Error(
            `${task.peer} on ${task.file.name}: ${done.error ?? `${done.points} points scored`}`,
          );
        }
        timing[task.peer]!.wall += done.seconds ?? 0;
        timing[task.peer]!.cpu += done.cpuSeconds ?? 0;
        bar.tick(task.file.length);
      }
    } catch (err) {
      child.kill();
      throw err;
    } finally {
      child.stdin.end();
    }
    await exited;
  };
  const pool = Array.from({ length: Math.max(1, Math.min(options.workers, queue.length)) }, worker);
  try {
    await Promise.all(pool);
  } catch (err) {
    // The other processes stop after their current file; none is left running.
    queue.length = 0;
    await Promise.allSettled(pool);
    throw err;
  }
  bar.finish();
  return { versions, timing };
}

async function readReport(path: string): Promise<PeersReport | undefined> {
  if (!existsSync(path)) return undefined;
  try {
    const json = JSON.parse(await readFile(path, 'utf8')) as PeersReport;
    return Array.isArray(json.runs) ? json : undefined;
  } catch {
    return undefined;
  }
}

function list(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function peerList(raw: string): PeerName[] {
  const names = list(raw);
  for (const n of names) {
    if (!(PEERS as readonly string[]).includes(n)) {
      throw new InvalidArgumentError(`unknown peer "${n}"; known: ${PEERS.join(', ')}`);
    }
  }
  return names as PeerName[];
}

function fileCount(raw: string): number | undefined {
  if (raw === 'all') return undefined;
  return integer(1)(raw);
}

function integer(min: number): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`must be an integer ≥ ${min}`);
    return n;
  };
}
