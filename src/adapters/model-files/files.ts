/**
 * The filesystem steps the file registry is built from: a write that readers never see half done
 * (temp file, fsync, rename), and a directory read or written as a map of relative paths to bytes.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkArtifactPath } from '../../core/models/registry-names.ts';

/** Writes `bytes` to `path` so a reader sees the old file or the new one, never a partial one. */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomUUID()}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
}

/** JSON of `path`, or undefined when the file does not exist. */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return JSON.parse(text);
}

/** Every regular file under `dir`, by `/`-separated relative path (sorted). */
export async function readTree(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((e) => e.isFile())
    .map((e) =>
      join(e.parentPath, e.name)
        .slice(dir.length + 1)
        .split('\\')
        .join('/'),
    )
    .sort();
  for (const p of paths) out.set(p, new Uint8Array(await readFile(join(dir, p))));
  return out;
}

/** Writes `files` under `dir` (made when missing); each path is checked to stay under it. */
export async function writeTree(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const p of files.keys()) checkArtifactPath(p);
  await mkdir(dir, { recursive: true });
  for (const [p, bytes] of files) {
    const to = join(dir, ...p.split('/'));
    await mkdir(dirname(to), { recursive: true });
    const fh = await open(to, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}
