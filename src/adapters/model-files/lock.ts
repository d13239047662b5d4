/**
 * A lock file that serialises the file registry's writers across processes (`vigil train` in one,
 * a server or `vigil models alias` in another): created with O_EXCL, holding the holder's pid.
 * Readers never take it; they rely on every write being an atomic rename.
 *
 * A lock whose holder is gone (a killed `vigil train`) is broken: at once when its pid is not
 * alive on this host, else after STALE_MS. Two waiters breaking the same stale lock at once could
 * both proceed; the window needs a dead holder and two writers at the same moment, and what it
 * could cost is two versions racing for one number, which rename refuses (the loser retries).
 */
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { VigilError } from '../../core/errors.ts';

const STALE_MS = 60_000;

export interface LockOptions {
  /** Give up after this long: VIGIL_ERR_UNAVAILABLE naming the lock file. */
  waitMs?: number;
}

/** Runs `fn` holding the lock at `path`; the lock is released however `fn` ends. */
export async function withLock<T>(path: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const waitMs = opts.waitMs ?? 30_000;
  const deadline = Date.now() + waitMs;
  let pause = 5;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await isStale(path)) {
      await unlink(path).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline) {
      throw new VigilError(
        'VIGIL_ERR_UNAVAILABLE',
        `${path}: the model registry is locked by another writer (waited ${waitMs} ms; if no vigil process holds it, delete the file)`,
      );
    }
    await sleep(pause);
    pause = Math.min(pause * 2, 100);
  }
  try {
    return await fn();
  } finally {
    await unlink(path).catch(() => {});
  }
}

async function isStale(path: string): Promise<boolean> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) return true;
    return Date.now() - st.mtimeMs > STALE_MS;
  } catch {
    return false; // gone already: the next open will tell
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
