/**
 * What a pipeline's state costs, part by part: runs a preset (default `vigil`) over every file of a
 * NAB-layout corpus, one fresh pipeline per file, and measures `JSON.stringify` of each part of its
 * snapshot every `--every` points and at the end. Prints, per part, the mean over files of the final
 * size and the largest size seen anywhere, then the files with the largest total state, and the
 * declared bound of the pipeline's detector.
 *
 *   npx node bench/state-size.ts [--corpus bench/datasets/nab] [--mode nab|strict]
 *     [--pipeline vigil] [--every 1000] [--files <text>]
 *
 * A measurement to read and record (docs/detectors.md "State of the default"); never a gate.
 */
import { join, resolve } from 'node:path';
import { loadNabCorpus, type NabCorpusFile } from '../src/adapters/nab/corpus-loader.ts';
import { probationaryLength } from '../src/core/bench/nab/probation.ts';
import type { DetectorHints } from '../src/core/detectors/detector.ts';
import { builtinDetectors } from '../src/core/detectors/index.ts';
import { pipelinesOf } from '../src/core/pipeline/pipelines.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i < 0 ? fallback : (args[i + 1] ?? fallback);
};
const root = resolve(opt('--corpus', join(import.meta.dirname, 'datasets/nab')));
const mode = opt('--mode', 'nab');
const preset = opt('--pipeline', 'vigil');
const every = Number(opt('--every', '1000'));
const only = opt('--files', '');

const registry = builtinDetectors();
const pipelines = pipelinesOf(registry);

function hintsFor(file: NabCorpusFile): DetectorHints {
  if (mode === 'strict') return { seed: 0 };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of file.values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return { min, max, probationaryLength: probationaryLength(file.length), seed: 0 };
}

/**
 * Bytes of each part of a snapshot: every object member down to `depth` levels, named by its path
 * (detector states are unwrapped: `detector.artime.long`, `detector.evidence.likelihood.raws`).
 * A part's figure includes its key and punctuation; `(rest)` is what its children leave over.
 */
function parts(value: unknown, path: string, depth: number, out: Map<string, number>): void {
  const size = JSON.stringify(value)?.length ?? 0;
  out.set(path, size);
  if (depth === 0 || value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const o = value as Record<string, unknown>;
  // A detector or stage state: its payload is `data`; name the level after the detector.
  const inner = 'data' in o && ('detector' in o || 'stage' in o) ? o.data : value;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return;
  let children = 0;
  for (const [k, v] of Object.entries(inner as Record<string, unknown>)) {
    if (Array.isArray(v) && v.every((m) => m !== null && typeof m === 'object' && 'detector' in m)) {
      v.forEach((m, i) => {
        parts(m, `${path}.${k}[${i}:${(m as { detector: string }).detector}]`, depth - 1, out);
      });
    } else parts(v, `${path}.${k}`, depth - 1, out);
    children += JSON.stringify(v)?.length ?? 0;
  }
  if (children > 0) out.set(`${path}.(rest)`, size - children);
}

const corpus = await loadNabCorpus(root);
const files = corpus.files.filter((f) => f.name.includes(only));
const finalSum = new Map<string, number>();
const peak = new Map<string, number>();
const totals: { name: string; length: number; final: number; peak: number }[] = [];
for (const file of files) {
  const p = pipelines.createNamed(preset, hintsFor(file));
  let top = 0;
  let last = new Map<string, number>();
  for (let i = 0; i < file.length; i++) {
    p.step(file.ts[i]!, file.values[i]!);
    if ((i + 1) % every !== 0 && i + 1 !== file.length) continue;
    last = new Map();
    parts(p.snapshot(), 'pipeline', 6, last);
    for (const [k, v] of last) peak.set(k, Math.max(peak.get(k) ?? 0, v));
    top = Math.max(top, last.get('pipeline')!);
  }
  for (const [k, v] of last) finalSum.set(k, (finalSum.get(k) ?? 0) + v);
  totals.push({ name: file.name, length: file.length, final: last.get('pipeline')!, peak: top });
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
process.stdout.write(
  `${preset} (${mode} mode) on ${root}: ${files.length} files, state sampled every ${every} points\n\n`,
);
process.stdout.write(`${'part'.padEnd(72)}${'mean final B'.padStart(14)}${'max B'.padStart(12)}\n`);
for (const [k, v] of [...finalSum].sort((a, b) => a[0].localeCompare(b[0]))) {
  if ((peak.get(k) ?? 0) < 64) continue;
  process.stdout.write(
    `${k.padEnd(72)}${fmt(v / files.length).padStart(14)}${fmt(peak.get(k)!).padStart(12)}\n`,
  );
}
totals.sort((a, b) => b.peak - a.peak);
process.stdout.write('\nlargest states (file, points, final B, max B):\n');
for (const t of totals.slice(0, 5)) {
  process.stdout.write(`  ${t.name}  ${t.length}  ${fmt(t.final)}  ${fmt(t.peak)}\n`);
}
const bound = registry.get(pipelines.named(preset).detector.name).maxStateBytes;
process.stdout.write(`\ndetector's declared maxStateBytes: ${bound === undefined ? 'none' : fmt(bound)}\n`);
