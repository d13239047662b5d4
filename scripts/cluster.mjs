#!/usr/bin/env node
// `npm run cluster [-- up|down|status] [--apis N] [--processors N] [--detectors N] [--alerters N] [--config FILE]`
// Brings the reference deployment up on this machine: Kafka (3 brokers), PostgreSQL primary +
// replica, Redis Cluster, InfluxDB, MLflow (the model registry; scripts/services/*.sh), then 3
// `vigil processor`, 2 `vigil detector`, 1 `vigil alerter` and 2 `vigil api` processes and nginx
// in front of the APIs; prints the endpoints.
// `down` stops everything it started. State (pids, ports, logs) lives in .services/cluster/.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const servicesDir = process.env.VIGIL_SERVICES_DIR ?? join(root, '.services');
// `--name N` runs a second deployment (its own processes, topics and nginx) on the same services.
let stateDir = join(servicesDir, 'cluster');
let stateFile = join(stateDir, 'state.json');
function useName(name) {
  stateDir = join(servicesDir, name === undefined ? 'cluster' : `cluster-${name}`);
  stateFile = join(stateDir, 'state.json');
}
const SERVICES = ['kafka', 'postgres', 'redis', 'influxdb', 'mlflow'];
// The roles run on the Node the project pins (devDependency `node`), whoever runs this script.
const pinnedNode = join(root, 'node_modules', '.bin', 'node');
const nodeBin = existsSync(pinnedNode) ? pinnedNode : process.execPath;

function parseArgs(argv) {
  const o = {
    action: 'up',
    apis: 2,
    processors: 3,
    detectors: 2,
    alerters: 1,
    config: undefined,
    keepServices: false,
    name: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (['up', 'down', 'status'].includes(a)) o.action = a;
    else if (a === '--apis') o.apis = Number(argv[++i]);
    else if (a === '--processors') o.processors = Number(argv[++i]);
    else if (a === '--detectors') o.detectors = Number(argv[++i]);
    else if (a === '--alerters') o.alerters = Number(argv[++i]);
    else if (a === '--config') o.config = resolve(argv[++i]);
    else if (a === '--keep-services') o.keepServices = true;
    else if (a === '--name') o.name = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('\n')
          .slice(1, 8)
          .join('\n'),
      );
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return o;
}

const log = (msg) => process.stderr.write(`[cluster] ${msg}\n`);

function serviceEnv(name, extra = {}) {
  const out = execFileSync('bash', [join(root, 'scripts/services', `${name}.sh`), 'up'], {
    encoding: 'utf8',
    env: { ...process.env, ...extra },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const env = {};
  for (const line of out.split('\n')) {
    const m = /^(?:export\s+)?(VIGIL_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}

const freePort = () =>
  new Promise((res, rej) => {
    const s = createServer();
    s.unref();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });

async function waitReady(proc, ms) {
  const { url } = proc;
  const deadline = Date.now() + ms;
  for (;;) {
    if (!alive(proc.pid)) {
      const tail = readFileSync(proc.log, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`${proc.role}-${proc.index} exited before it was ready; ${proc.log}:\n${tail}`);
    }
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} not ready after ${ms / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export function readState() {
  return existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined;
}

// Ports handed to roles by this process. A role binds its port only once it has started, so
// the kernel may offer the same free port twice in a row: api-2 and detector-2 once got one port
// and nginx sent API requests to a detector.
const handedOut = new Set();

async function unusedPort() {
  for (;;) {
    const port = await freePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Starts one role process; returns its record for the state file. */
export async function startRole(role, index, env, config) {
  const port = await unusedPort();
  const logPath = join(stateDir, `${role}-${index}.log`);
  const fd = openSync(logPath, 'a');
  const args = [join(root, 'bin/vigil.mjs'), role, '--port', String(port), '--host', '127.0.0.1'];
  if (config !== undefined) args.push('--config', config);
  const child = spawn(nodeBin, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  child.unref();
  return { role, index, pid: child.pid, port, url: `http://127.0.0.1:${port}`, log: logPath };
}

async function up(o) {
  mkdirSync(stateDir, { recursive: true });
  const prev = readState();
  if (prev?.procs.every((p) => alive(p.pid))) {
    log('already running');
    printEndpoints(prev);
    return;
  }
  if (prev !== undefined) await down({ keepServices: true });
  const env = { VIGIL_LOG_LEVEL: process.env.VIGIL_LOG_LEVEL ?? 'info' };
  for (const s of SERVICES) {
    log(`starting ${s}…`);
    Object.assign(env, serviceEnv(s));
  }
  // Every role registers, loads and tracks models in MLflow (docs/models.md).
  env.VIGIL_MODEL_REGISTRY = 'mlflow';
  const state = { env, procs: [], nginx: undefined, config: o.config };
  const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));
  // Processors and detectors first (they create the topics), then the APIs.
  for (const [role, n] of [
    ['processor', o.processors],
    ['detector', o.detectors],
    ['alerter', o.alerters],
    ['api', o.apis],
  ]) {
    for (let i = 1; i <= n; i++) {
      state.procs.push(await startRole(role, i, env, o.config));
      save();
    }
  }
  for (const p of state.procs) await waitReady(p, 120_000);
  const upstreams = state.procs
    .filter((p) => p.role === 'api')
    .map((p) => `127.0.0.1:${p.port}`)
    .join(',');
  // nginx's state lives with the deployment, so named deployments each get their own.
  state.nginx = serviceEnv('nginx', {
    VIGIL_NGINX_UPSTREAMS: upstreams,
    VIGIL_SERVICES_DIR: stateDir,
  }).VIGIL_NGINX_URL;
  save();
  printEndpoints(state);
}

function printEndpoints(state) {
  console.log(`export VIGIL_CLUSTER_URL=${state.nginx}`);
  for (const p of state.procs) console.log(`# ${p.role}-${p.index}: ${p.url} (pid ${p.pid}, log ${p.log})`);
  if (state.env.VIGIL_MLFLOW_URL)
    console.log(`# mlflow: ${state.env.VIGIL_MLFLOW_URL} (model registry: UI and REST API)`);
  for (const [k, v] of Object.entries(state.env))
    if (k !== 'VIGIL_LOG_LEVEL') console.log(`export ${k}=${v}`);
}

async function stopPid(pid, ms = 30_000) {
  if (!alive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {}
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

async function down(o) {
  const state = readState();
  if (state !== undefined) {
    // APIs first (stop taking writes), then processors, then detectors (they checkpoint last), then
    // the alerters (they take the detectors' last anomalies).
    for (const role of ['api', 'processor', 'detector', 'alerter']) {
      await Promise.all(state.procs.filter((p) => p.role === role).map((p) => stopPid(p.pid)));
    }
  }
  const stop = (s, env = {}) => {
    try {
      execFileSync('bash', [join(root, 'scripts/services', `${s}.sh`), 'down'], {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, ...env },
      });
    } catch (err) {
      log(`${s} down failed: ${err.message}`);
    }
  };
  stop('nginx', { VIGIL_SERVICES_DIR: stateDir });
  if (!o.keepServices) for (const s of SERVICES) stop(s);
  rmSync(stateDir, { recursive: true, force: true });
  log('down');
}

function status() {
  const state = readState();
  if (state === undefined) {
    console.log('not running');
    process.exit(1);
  }
  for (const p of state.procs) console.log(`${p.role}-${p.index}\t${alive(p.pid) ? 'up' : 'DOWN'}\t${p.url}`);
  console.log(`nginx\t${state.nginx ?? '-'}`);
}

/** For tests: `await cluster(['up', '--name', 'x', '--config', f])` returns the state. */
export async function cluster(argv) {
  const o = parseArgs(argv);
  useName(o.name);
  if (o.action === 'up') await up(o);
  else if (o.action === 'down') await down(o);
  else status();
  return readState();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  useName(o.name);
  const run = o.action === 'up' ? up(o) : o.action === 'down' ? down(o) : Promise.resolve(status());
  run.catch((err) => {
    log(`error: ${err.message}`);
    process.exit(1);
  });
}
