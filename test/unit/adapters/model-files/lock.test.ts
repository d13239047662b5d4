import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withLock } from '../../../../src/adapters/model-files/lock.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that no process has now: one of a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(r.stdout);
}

describe('file registry lock', () => {
  it('serialises holders and releases on error', async () => {
    const path = join(dir, '.lock');
    const order: string[] = [];
    const a = withLock(path, async () => {
      order.push('a in');
      await new Promise((r) => setTimeout(r, 50));
      order.push('a out');
    });
    const b = withLock(path, async () => {
      order.push('b in');
      await new Promise((r) => setTimeout(r, 50));
      order.push('b out');
    });
    await Promise.all([a, b]);
    // Either may take it first (both open with O_EXCL at once); neither enters while the other holds it.
    const first = order[0]!.slice(0, 1);
    const second = first === 'a' ? 'b' : 'a';
    expect(order).toEqual([`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    await expect(withLock(path, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withLock(path, async () => 'free again')).toBe('free again');
  });

  it('breaks a lock whose holder is dead', async () => {
    const path = join(dir, '.lock');
    await writeFile(path, `${deadPid()}\n`);
    expect(await withLock(path, async () => 'taken', { waitMs: 5000 })).toBe('taken');
  });

  it('waits for a live holder, then fails with VIGIL_ERR_UNAVAILABLE naming the lock file', async () => {
    const path = join(dir, '.lock');
    await writeFile(path, `${process.ppid}\n`); // alive: the test runner's parent
    const err = await withLock(path, async () => 'no', { waitMs: 200 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE' });
    expect((err as Error).message).toContain(path);
  });
});
