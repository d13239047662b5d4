/**
 * Real services for integration and contract tests: `service('postgres')` runs
 * `scripts/services/postgres.sh up` (idempotent: instant when already running) and returns the
 * `VIGIL_…` variables it prints. `npm test` stops every service at the end (`scripts/services/all.sh down`).
 */
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export type ServiceName = 'kafka' | 'postgres' | 'redis' | 'influxdb' | 'nginx' | 'alertmanager' | 'mlflow';

export function service(name: ServiceName, env: Record<string, string> = {}): Record<string, string> {
  let out: string;
  try {
    out = execFileSync('bash', [join(root, 'scripts/services', `${name}.sh`), 'up'], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/services/${name}.sh up failed: ${e.stderr ?? e.message}`);
  }
  return parseEnv(out);
}

/** Runs another action of a service script (e.g. `down`, or a fault such as `kill-master`). */
export function serviceAction(name: ServiceName, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('bash', [join(root, 'scripts/services', `${name}.sh`), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 600_000,
  });
}

function parseEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^(?:export\s+)?(VIGIL_[A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m !== null) vars[m[1]!] = m[2]!.replace(/^['"]|['"]$/g, '');
  }
  return vars;
}
