/**
 * Open-loop load generator for `vigil bench ingest`, run as its own process:
 *   node ingest-loadgen.ts <url> <pointsPerSec> <seconds> <seriesCount> <batch> <connections>
 * Request i is due at start + i / requestRate whatever happened before (open loop); its latency
 * runs from that scheduled time to the end of the response, so a stalled server shows up as
 * latency instead of silently slowing the generator (coordinated omission). Prints one JSON line.
 */
import http from 'node:http';

const [url, rateArg, secondsArg, seriesArg, batchArg, connArg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const seriesCount = Number(seriesArg);
const batch = Number(batchArg);
const connections = Number(connArg);
const target = new URL('/api/v1/points', url);
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

const requestRate = rate / batch;
const total = Math.max(1, Math.floor(requestRate * seconds));
const latencies = new Float64Array(total);
let completed = 0;
let ok = 0;
let failed = 0;
let rejected = 0;
let lastCompletion = 0;
let maxStall = 0;
let inFlight = 0;
let maxInFlight = 0;

// Series round-robin; each series' timestamps advance by 1 s per visit, so no point repeats.
let cursor = 0;
const T0 = Date.UTC(2026, 0, 1);
const tags = Array.from(
  { length: seriesCount },
  (_, s) => `{"host":"h${s % 1000}","dc":"d${Math.floor(s / 1000)}"}`,
);
function body(): string {
  let out = '{"points":[';
  for (let j = 0; j < batch; j++) {
    const s = cursor % seriesCount;
    const round = Math.floor(cursor / seriesCount);
    cursor++;
    const v = 50 + 10 * Math.sin(round / 10 + s) + (round % 7);
    out += `${j === 0 ? '' : ','}{"metric":"bench_cpu","tags":${tags[s]},"ts":${T0 + round * 1000},"value":${v.toFixed(3)}}`;
  }
  return `${out}]}`;
}

function send(i: number, due: number): void {
  const payload = body();
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  const req = http.request(
    target,
    {
      method: 'POST',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    },
    (res) => {
      res.resume();
      res.on('end', () => finish(i, due, res.statusCode ?? 0));
    },
  );
  req.on('error', () => finish(i, due, 0));
  req.end(payload);
}

function finish(i: number, due: number, status: number): void {
  const now = performance.now();
  inFlight--;
  latencies[i] = now - due;
  if (status === 204) ok++;
  else if (status === 429 || status === 503) rejected++;
  else failed++;
  if (lastCompletion > 0 && now - lastCompletion > maxStall) maxStall = now - lastCompletion;
  lastCompletion = now;
  completed++;
  if (completed === total) report();
}

const start = performance.now() + 50;
let next = 0;
function tick(): void {
  const now = performance.now();
  while (next < total && start + (next * 1000) / requestRate <= now) {
    send(next, start + (next * 1000) / requestRate);
    next++;
  }
  if (next < total)
    setTimeout(tick, Math.max(0, Math.min(1, start + (next * 1000) / requestRate - performance.now())));
}
setTimeout(tick, 50);

// Give up on responses that never come: the run is bounded in time.
const watchdog = setTimeout(() => report(), (seconds + 30) * 1000);

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function report(): void {
  clearTimeout(watchdog);
  const elapsed = (lastCompletion - start) / 1000;
  const sorted = latencies.slice(0, completed).sort();
  process.stdout.write(
    `${JSON.stringify({
      atRate: rate,
      pointsPerSec: Math.round((ok * batch) / Math.max(elapsed, seconds)),
      requests: total,
      ok,
      rejected,
      failed,
      p50Ms: pct(sorted, 0.5),
      p99Ms: pct(sorted, 0.99),
      p999Ms: pct(sorted, 0.999),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      maxStallMs: maxStall,
      maxInFlight,
    })}\n`,
  );
  agent.destroy();
  process.exit(0);
}
