/**
 * Runs the `vigil` command line as a user would (bin/vigil.mjs on this Node), with `env` over this
 * process's environment: its exit code, stdout and stderr; stderr also shows in the test output.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../bin/vigil.mjs');

export function runVigil(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    // 'close' once stdout and stderr are drained; a grandchild still holding them (a daemon a
    // command started) must not stall the caller past its exit, hence the bounded wait after 'exit'.
    child.on('close', (code) => resolve({ code, out, err }));
    child.on('exit', (code) => {
      setTimeout(() => resolve({ code, out, err }), 2000).unref();
    });
  });
}
