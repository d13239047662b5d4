/**
 * The discord detector on a UCR-style corpus (ucr-dev): per file, the archive's own metric (the
 * highest score in the test part, after `train_points`, solved when within ±100 points of the
 * labelled anomaly), the window chosen, the snapshot size at the end; overall, the fraction
 * solved and the kernel's points/s (one thread, step() per point, file by file).
 *
 *   npx node bench/discord-ucr.ts [--corpus ../shared/datasets/ucr-dev] [--files <text>] [--params '{"history":4096}']
 *
 * The training part is streamed through first, as history, like the rest. Never gates anything
 * on time (STYLE 15); it is a measurement to read and record.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discord } from '../src/core/detectors/discord/discord.ts';

const args = process.argv.slice(2);
const opt = (flag: string, fallback: string): string => {
  const i = args.indexOf(flag);
  return i < 0 ? fallback : (args[i + 1] ?? fallback);
};
const root = resolve(opt('--corpus', join(import.meta.dirname, '../../shared/datasets/ucr-dev')));
const filter = opt('--files', '');
const params = { ...discord.defaults, ...(JSON.parse(opt('--params', '{}')) as object) };
const splits = JSON.parse(readFileSync(join(root, 'splits.json'), 'utf8')) as Record<
  string,
  { train_points: number }
>;
const ranges = JSON.parse(readFileSync(join(root, 'labels/anomaly_ranges.json'), 'utf8')) as Record<
  string,
  [string, string][]
>;

let solved = 0;
let files = 0;
let points = 0;
let ms = 0;
let maxBytes = 0;
for (const cat of readdirSync(join(root, 'data')).sort()) {
  for (const name of readdirSync(join(root, 'data', cat)).sort()) {
    if (!name.includes(filter)) continue;
    const lines = readFileSync(join(root, 'data', cat, name), 'utf8')
      .split('\n')
      .slice(1);
    const rows = lines.filter((l) => l !== '').map((l) => l.split(','));
    const ts = rows.map((r) => Date.parse(`${r[0]!.replace(' ', 'T')}Z`));
    const values = Float64Array.from(rows, (r) => Number(r[1]));
    const position = (iso: string): number => ts.indexOf(Date.parse(iso));
    const labelled = (ranges[`${cat}/${name}`] ?? []).map(([a, b]) => [position(a), position(b)] as const);
    const train = splits[name]?.train_points ?? 0;
    const d = discord.create(params);
    let best = Number.NEGATIVE_INFINITY;
    let at = -1;
    const t0 = performance.now();
    for (let i = 0; i < values.length; i++) {
      const s = d.step!(ts[i]!, values[i]!).score;
      if (i >= train && s > best) {
        best = s;
        at = i;
      }
    }
    ms += performance.now() - t0;
    points += values.length;
    files++;
    const ok = labelled.some(([a, b]) => at >= a - 100 && at <= b + 100);
    if (ok) solved++;
    const state = d.snapshot();
    const bytes = JSON.stringify(state).length;
    maxBytes = Math.max(maxBytes, bytes);
    const { period, factor } = state.data as { period: number; factor: number };
    const where = labelled.map(([a, b]) => `${a}–${b}`).join(' ');
    console.log(
      `${ok ? 'solved' : '      '} ${name.padEnd(60)} window ${period}/${factor}  top ${at} (${best.toFixed(3)}) label ${where}  ${bytes} B`,
    );
  }
}
console.log(
  `${solved}/${files} solved (${((100 * solved) / Math.max(1, files)).toFixed(1)} %), ${Math.round(
    (points / ms) * 1000,
  ).toLocaleString(
    'en',
  )} points/s over ${points.toLocaleString('en')} points, state ≤ ${maxBytes} B; params ${JSON.stringify(params)}`,
);
