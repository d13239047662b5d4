/**
 * The report of `vigil bench peers`: its rows and runs, the speed ratio of each peer against our
 * comparable detector, how a run merges into the committed JSON, and the printed table.
 */
import { cpus } from 'node:os';

export const PEERS = ['hst', 'rrcf'] as const;
export type PeerName = (typeof PEERS)[number];

/** Which of our detectors each peer is compared with for speed. */
export const PEER_REFERENCE: Readonly<Record<PeerName, string>> = { rrcf: 'rcf', hst: 'default' };

export const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

export interface PeerRow {
  detector: string;
  /** `peer` for a library run in Python, `vigil` for ours. */
  kind: 'peer' | 'vigil';
  /** For ours: the registered name behind an alias. */
  resolved?: string;
  /** NAB score per profile (0 null … 100 perfect) on this run's files. */
  scores: Record<string, number>;
  points: number;
  /** Summed per-file scoring time, wall clock, one thread. */
  seconds: number;
  pointsPerSec: number;
  /** The same loops' CPU time on their thread. */
  cpuSeconds: number;
  cpuPointsPerSec: number;
  /** Our detector this one is compared with for speed. */
  reference?: string;
  /** reference CPU points/s ÷ this CPU points/s: how many times faster ours is (>1: ours faster). */
  oursFaster?: number;
  measuredAt: string;
}

export interface PeersRun {
  /** Identifies the file selection; runs with the same key are merged row by row. */
  key: string;
  subset: { files: number; of: number; maxPoints: number | null; names: string[] };
  points: number;
  command: string;
  rows: PeerRow[];
}

export interface PeersReport {
  machine: { cpus: number; cpu: string; node: string; note: string };
  versions: Record<string, string>;
  runs: PeersRun[];
}

/** Fills `reference`/`oursFaster` on each peer row whose reference detector is in `rows`. */
export function withSpeedRatios(rows: readonly PeerRow[]): PeerRow[] {
  return rows.map((r) => {
    const { reference: _r, oursFaster: _o, ...rest } = r;
    if (r.kind !== 'peer') return rest;
    const reference = PEER_REFERENCE[r.detector as PeerName];
    const ref = rows.find((x) => x.kind === 'vigil' && x.detector === reference);
    if (reference === undefined || ref === undefined || !(r.cpuPointsPerSec > 0)) return rest;
    return { ...rest, reference, oursFaster: ref.cpuPointsPerSec / r.cpuPointsPerSec };
  });
}

/** The run merged into `report`: rows replace rows of the same detector on the same subset. */
export function mergeReport(
  report: PeersReport | undefined,
  run: PeersRun,
  versions: Record<string, string>,
): PeersReport {
  const runs = report?.runs ?? [];
  const old = runs.find((r) => r.key === run.key);
  const rows = [
    ...(old?.rows.filter((o) => !run.rows.some((r) => r.detector === o.detector)) ?? []),
    ...run.rows,
  ];
  const merged: PeersRun = { ...run, rows: withSpeedRatios(rows.sort(byKind)) };
  return {
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      note: 'shared machine: other work may run beside the benchmark',
    },
    versions: { ...(report?.versions ?? {}), ...versions, node: process.version },
    runs: [...runs.filter((r) => r.key !== run.key), merged],
  };
}

export function formatTable(rows: readonly PeerRow[]): string {
  const head = [
    'detector',
    'standard',
    'low FP',
    'low FN',
    'points',
    'seconds',
    'points/s',
    'cpu pts/s',
    'ours faster',
  ];
  const body = rows.map((r) => [
    r.resolved === undefined ? r.detector : `${r.detector} (=${r.resolved})`,
    ...PROFILES.map((p) => r.scores[p]?.toFixed(1) ?? '-'),
    r.points.toLocaleString('en-US'),
    r.seconds.toFixed(1),
    Math.round(r.pointsPerSec).toLocaleString('en-US'),
    Math.round(r.cpuPointsPerSec).toLocaleString('en-US'),
    r.oursFaster === undefined ? '' : `${r.reference} ${formatRatio(r.oursFaster)}`,
  ]);
  const width = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((x, c) => (c === 0 ? x.padEnd(width[c]!) : x.padStart(width[c]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...body.map(line)].join('\n')}\n`;
}

function formatRatio(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(2)}×`;
}

/** Peers first; otherwise the order given (sort is stable). */
function byKind(a: PeerRow, b: PeerRow): number {
  return a.kind === b.kind ? 0 : a.kind === 'peer' ? -1 : 1;
}
