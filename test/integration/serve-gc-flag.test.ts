/**
 * `vigil serve` re-executes itself with V8's `--single-threaded-gc` and `--max-semi-space-size=16`
 * (bin/vigil.mjs): the server a caller spawned keeps its pid (so SIGKILL of that pid stops it),
 * runs with the flags, without the first when VIGIL_PARALLEL_GC=1, and with the caller's own
 * semi-space size when NODE_OPTIONS sets one. Linux only (the check reads /proc/<pid>/cmdline).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/http/free-port.ts';
import { eventually } from '../helpers/embedded.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-gc-flag-'));
  dirs.push(dir);
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/vigil.mjs'), 'serve', '--data-dir', dir, '--port', String(port), '--host', '127.0.0.1'],
    { env: { ...process.env, VIGIL_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`).catch(() => null))?.status === 200, 30_000);
  return { child, url };
}

const argsOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

describe.skipIf(process.platform !== 'linux')('vigil serve and V8 garbage collection', () => {
  it('runs with --single-threaded-gc under the pid its caller spawned', async () => {
    const { child, url } = await serve({});
    expect(argsOf(child.pid!)).toContain('--single-threaded-gc');
    expect(argsOf(child.pid!)).toContain('--max-semi-space-size=16');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await expect(fetch(`${url}/readyz`)).rejects.toThrow();
  });

  it('keeps the default parallel GC with VIGIL_PARALLEL_GC=1', async () => {
    const { child } = await serve({ VIGIL_PARALLEL_GC: '1' });
    const args = argsOf(child.pid!);
    expect(args).toContain('serve');
    expect(args).not.toContain('--single-threaded-gc');
    expect(args).toContain('--max-semi-space-size=16');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('leaves the semi-space size to NODE_OPTIONS when it sets one', async () => {
    const { child } = await serve({ NODE_OPTIONS: '--max-semi-space-size=32' });
    const args = argsOf(child.pid!);
    expect(args).toContain('--single-threaded-gc');
    expect(args.some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
});
