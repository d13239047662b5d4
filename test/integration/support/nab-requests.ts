/**
 * The NAB corpus as ingest requests: every file as series `nab{file="<category/name>"}`, all series
 * interleaved by time, in JSON requests of `size` points: NAB v1.1 as vendored under
 * bench/datasets/nab (58 files, 365,558 points).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseNabTimestamp } from '../../../src/adapters/nab/nab-timestamp.ts';
import type { IngestPoint } from '../../../src/core/point.ts';
import { NAB_CORPUS } from '../../helpers/datasets.ts';

export function nabDataDir(): string {
  return join(NAB_CORPUS, 'data');
}

function csvFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...csvFiles(p));
    else if (e.name.endsWith('.csv')) out.push(p);
  }
  return out.sort();
}

export function nabRequests(
  size: number,
  opts: { maxFiles?: number } = {},
): {
  requests: IngestPoint[][];
  series: string[];
  points: number;
  /** Points with distinct (series, ts): what an engine scores. */
  distinct: number;
} {
  const dir = nabDataDir();
  const all: { p: IngestPoint; order: number }[] = [];
  const series: string[] = [];
  for (const [f, path] of csvFiles(dir).slice(0, opts.maxFiles).entries()) {
    const file = relative(dir, path);
    series.push(`nab{file="${file}"}`);
    const lines = readFileSync(path, 'utf8').trim().split('\n').slice(1);
    for (const line of lines) {
      const [ts, value] = line.split(',');
      all.push({
        p: { metric: 'nab', tags: { file }, ts: parseNabTimestamp(ts!), value: Number(value) },
        order: f,
      });
    }
  }
  all.sort((a, b) => a.p.ts - b.p.ts || a.order - b.order);
  // A few NAB files repeat a timestamp; ingest refuses a duplicate within one request, so a repeat
  // starts the next request (where both modes' engines reject it as a duplicate of a stored point).
  const requests: IngestPoint[][] = [];
  let cur: IngestPoint[] = [];
  let seen = new Set<string>();
  for (const { p } of all) {
    const id = `${p.tags.file}@${p.ts}`;
    if (cur.length === size || seen.has(id)) {
      requests.push(cur);
      cur = [];
      seen = new Set();
    }
    cur.push(p);
    seen.add(id);
  }
  if (cur.length > 0) requests.push(cur);
  const distinct = new Set(all.map(({ p }) => `${p.tags.file}@${p.ts}`)).size;
  return { requests, series, points: all.length, distinct };
}

/**
 * POSTs one JSON request, retrying (bounded) on connection errors and 5xx, as a client behind a
 * balancer would; `idempotencyKey` is sent with every attempt.
 */
export async function postPoints(
  url: string,
  points: IngestPoint[],
  opts: { idempotencyKey?: string; attempts?: number } = {},
): Promise<void> {
  const body = JSON.stringify({ points });
  const attempts = opts.attempts ?? 60;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.idempotencyKey !== undefined) headers['idempotency-key'] = opts.idempotencyKey;
  let last = '';
  for (let i = 0; i < attempts; i++) {
    try {
      const r = await fetch(`${url}/api/v1/points`, { method: 'POST', headers, body });
      if (r.status === 204) return;
      last = `${r.status} ${await r.text()}`;
      if (r.status < 500) throw new Error(`ingest refused: ${last}`);
    } catch (err) {
      if ((err as Error).message.startsWith('ingest refused')) throw err;
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`ingest failed after ${attempts} attempts: ${last}`);
}
