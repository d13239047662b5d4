/**
 * Open-loop load generator for `vigil bench ingest`, run as its own process:
 *   node ingest-loadgen.ts <url> <pointsPerSec> <seconds> <seriesCount> <batch> <connections> [raw|node] [t0]
 * with env VIGIL_BENCH_KEY set, every request carries `Authorization: Bearer <key>`.
 * Request i is due at start + i / requestRate whatever happened before (open loop); its latency
 * runs from that scheduled time to the end of the response, so a stalled server shows up as
 * latency instead of silently slowing the generator (coordinated omission). A request waits for a
 * free keep-alive connection (one request in flight per connection, no pipelining), and that wait
 * counts as latency too. Prints one JSON line.
 *
 * The generator shares the machine with the server, so it is kept cheap: bodies are assembled
 * from pre-rendered fragments, and the `raw` client (default) writes HTTP/1.1 requests on plain
 * sockets and reads only the status line and Content-Length of each response; `node` uses
 * node:http's client (about twice the CPU per request), for comparison. The JSON line reports the
 * generator's own CPU use.
 */
import http from 'node:http';
import net from 'node:net';

const [url, rateArg, secondsArg, seriesArg, batchArg, connArg, clientArg, t0Arg] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const seriesCount = Number(seriesArg);
const batch = Number(batchArg);
const connections = Number(connArg);
const client = clientArg === 'node' ? 'node' : 'raw';
const target = new URL('/api/v1/points', url);
// An API key (auth.mode keys) comes through the environment, not argv, so `ps` does not show it.
const key = process.env.VIGIL_BENCH_KEY ?? '';
const authHead = key === '' ? '' : `Authorization: Bearer ${key}\r\n`;
const head = `POST ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\n${authHead}Content-Type: application/json\r\nContent-Length: `;

const requestRate = rate / batch;
const total = Math.max(1, Math.floor(requestRate * seconds));
/** By request index; NaN until the request completes. */
const latencies = new Float64Array(total).fill(Number.NaN);
let completed = 0;
let ok = 0;
let failed = 0;
let rejected = 0;
let lastCompletion = 0;
let maxStall = 0;
let inFlight = 0;
let maxInFlight = 0;

// Series round-robin; each series' timestamps advance by 1 s per visit from t0, so no point repeats
// (the caller gives each run a t0 past the previous run's points, or the engine would reject them).
// Values come from a table of 4,096 rendered numbers (a wave plus a step pattern).
let cursor = 0;
const T0 = t0Arg === undefined ? Date.UTC(2026, 0, 1) : Number(t0Arg);
const latin1 = (text: string) => Buffer.from(text, 'latin1');
const prefixes = Array.from({ length: seriesCount }, (_, s) =>
  latin1(`{"metric":"bench_cpu","tags":{"host":"h${s % 1000}","dc":"d${Math.floor(s / 1000)}"},"ts":`),
);
const VALUES = Array.from({ length: 4096 }, (_, k) =>
  latin1(`,"value":${(50 + 10 * Math.sin(k / 10) + (k % 7)).toFixed(3)}}`),
);
const OPEN = latin1('{"points":[');
const CLOSE = latin1(']}');
let tsRound = -1;
let tsBytes = latin1('');

/**
 * Request bytes are written into slabs of 4 MiB, each request a slice of one: building a body as
 * a string of ~300 pieces and encoding it on write took the generator's CPU twice over (half of it
 * in the garbage collector), CPU the server on the same two cores then lacked. The body is written
 * first, HEAD_MAX bytes into its slot, and the HTTP head (which holds its length) right before it.
 */
const SLAB_BYTES = 4 << 20;
const longest = (bufs: readonly Buffer[]) => bufs.reduce((m, b) => Math.max(m, b.length), 0);
/** The head with the longest Content-Length a body can have. */
const HEAD_MAX = head.length + 16 + 4;
/** A point: a comma, its prefix, a timestamp (≤ 16 digits), its value. */
const MAX_REQUEST =
  HEAD_MAX + OPEN.length + CLOSE.length + batch * (1 + longest(prefixes) + 16 + longest(VALUES));
let slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, MAX_REQUEST));
let slabAt = 0;

/** The next request's bytes (with the HTTP head for the raw client, the body alone for node:http). */
function nextRequest(withHead: boolean): Buffer {
  if (slabAt + MAX_REQUEST > slab.length) {
    slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, MAX_REQUEST));
    slabAt = 0;
  }
  const bodyAt = slabAt + HEAD_MAX;
  let at = bodyAt;
  const put = (b: Buffer) => {
    at += b.copy(slab, at);
  };
  put(OPEN);
  for (let j = 0; j < batch; j++) {
    const s = cursor % seriesCount;
    const round = (cursor - s) / seriesCount;
    cursor++;
    if (round !== tsRound) {
      tsRound = round;
      tsBytes = latin1(String(T0 + round * 1000));
    }
    if (j > 0) slab[at++] = 0x2c; // ','
    put(prefixes[s]!);
    put(tsBytes);
    put(VALUES[(round * 31 + s) & 4095]!);
  }
  put(CLOSE);
  const headText = withHead ? `${head}${at - bodyAt}\r\n\r\n` : '';
  const from = bodyAt - headText.length;
  slab.write(headText, from, 'latin1');
  slabAt = at;
  return slab.subarray(from, at);
}

// --- node:http client ---
const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
function sendNode(i: number, due: number, payload: Buffer): void {
  const req = http.request(
    target,
    {
      method: 'POST',
      agent,
      headers: {
        'content-type': 'application/json',
        'content-length': payload.length,
        ...(key === '' ? {} : { authorization: `Bearer ${key}` }),
      },
    },
    (res) => {
      res.resume();
      res.on('end', () => finish(i, due, res.statusCode ?? 0));
    },
  );
  req.on('error', () => finish(i, due, 0));
  req.end(payload);
}

// --- raw client: keep-alive sockets, one request in flight each ---
interface Conn {
  socket: net.Socket;
  busy: { i: number; due: number } | null;
  buf: string;
}
const idle: Conn[] = [];
const waiting: { i: number; due: number; payload: Buffer }[] = [];
let waitHead = 0;

function openConn(): void {
  const c: Conn = { socket: net.connect(Number(target.port), target.hostname), busy: null, buf: '' };
  c.socket.setNoDelay(true);
  c.socket.setEncoding('latin1');
  c.socket.on('data', (d: string) => onData(c, d));
  const lost = () => {
    if (c.busy !== null) finish(c.busy.i, c.busy.due, 0);
    c.busy = null;
    const k = idle.indexOf(c);
    if (k >= 0) idle.splice(k, 1);
    if (completed < total) setTimeout(openConn, 10);
  };
  c.socket.on('error', () => {});
  c.socket.on('close', lost);
  c.socket.on('connect', () => release(c));
}

/** Parses whole responses out of `c.buf`: status line, headers, then Content-Length body bytes. */
function onData(c: Conn, d: string): void {
  c.buf += d;
  for (;;) {
    const end = c.buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(c.buf.slice(0, end));
    const length = m === null ? 0 : Number(m[1]);
    if (c.buf.length < end + 4 + length) return;
    const status = Number(c.buf.slice(9, 12));
    c.buf = c.buf.slice(end + 4 + length);
    const r = c.busy;
    c.busy = null;
    if (r !== null) finish(r.i, r.due, status);
    release(c);
  }
}

function release(c: Conn): void {
  if (waitHead < waiting.length) {
    const w = waiting[waitHead++]!;
    if (waitHead > 4096) {
      waiting.splice(0, waitHead);
      waitHead = 0;
    }
    write(c, w.i, w.due, w.payload);
  } else idle.push(c);
}

function write(c: Conn, i: number, due: number, request: Buffer): void {
  c.busy = { i, due };
  c.socket.write(request);
}

function sendRaw(i: number, due: number, payload: Buffer): void {
  const c = idle.pop();
  if (c === undefined) waiting.push({ i, due, payload });
  else write(c, i, due, payload);
}

function send(i: number, due: number): void {
  const payload = nextRequest(client === 'raw');
  inFlight++;
  if (inFlight > maxInFlight) maxInFlight = inFlight;
  if (client === 'node') sendNode(i, due, payload);
  else sendRaw(i, due, payload);
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

if (client === 'raw') for (let k = 0; k < connections; k++) openConn();
const cpuAtStart = process.cpuUsage();
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

const WINDOW_S = 10;

/** Latencies of the completed requests among those indexed from..to (all by default). */
const done = (from = 0, to = total) => latencies.slice(from, to).filter((x) => !Number.isNaN(x));

/** Latencies of the completed requests, grouped by the `seconds`-long window they were due in. */
function windows(seconds: number): Float64Array[] {
  const per = Math.max(1, Math.round(seconds * requestRate));
  const out: Float64Array[] = [];
  for (let from = 0; from < next; from += per) out.push(done(from, Math.min(next, from + per)));
  return out;
}

function report(): void {
  clearTimeout(watchdog);
  const elapsed = (lastCompletion - start) / 1000;
  // Requests still out when the watchdog fires are left out (they count in requests - ok).
  const sorted = done().sort();
  const cpu = process.cpuUsage(cpuAtStart);
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
      // Where in the run the tail is: p99 of the requests due in each 10 s.
      p99ByWindowMs: windows(WINDOW_S).map((w) => pct(w.sort(), 0.99)),
      maxInFlight,
      client,
      generatorCpuPercent: Math.round((100 * (cpu.user + cpu.system)) / 1e6 / Math.max(elapsed, seconds)),
    })}\n`,
  );
  agent.destroy();
  process.exit(0);
}
