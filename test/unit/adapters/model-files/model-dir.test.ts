import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openFileModelRegistry,
  readModelDir,
  writeModelDir,
} from '../../../../src/adapters/model-files/index.ts';
import { encodeModelSpec } from '../../../../src/core/models/model.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-modeldir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = {
  format: 'vigil-model' as const,
  formatVersion: 1 as const,
  name: 'cpu',
  selector: '{__name__="cpu"}',
  pipeline: { detector: { name: 'ewma' } },
};

const failure = async (p: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await p;
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  return { code: 'ok', message: '' };
};

describe('model directories', () => {
  it('round-trips nested files through writeModelDir and readModelDir', async () => {
    const files = new Map([
      ['model.json', encodeModelSpec(spec)],
      ['plots/deep/x.bin', Uint8Array.from([0, 1, 255])],
    ]);
    await writeModelDir(join(dir, 'out'), files);
    const back = await readModelDir(join(dir, 'out'));
    expect(back.spec.name).toBe('cpu');
    expect([...back.files.keys()].sort()).toEqual(['model.json', 'plots/deep/x.bin']);
    expect([...back.files.get('plots/deep/x.bin')!]).toEqual([0, 1, 255]);
    expect((await failure(writeModelDir(join(dir, 'out'), files))).code).toBe('VIGIL_ERR_BAD_MODEL');
  });

  it('refuses a missing directory, a missing model.json and a corrupt one, naming the path', async () => {
    const missing = await failure(readModelDir(join(dir, 'nothing')));
    expect(missing).toMatchObject({ code: 'VIGIL_ERR_BAD_MODEL' });
    expect(missing.message).toContain(join(dir, 'nothing'));
    await mkdir(join(dir, 'empty'));
    expect((await failure(readModelDir(join(dir, 'empty')))).message).toContain(
      join(dir, 'empty', 'model.json'),
    );
    await mkdir(join(dir, 'bad'));
    await writeFile(join(dir, 'bad', 'model.json'), JSON.stringify({ ...spec, formatVersion: 9 }));
    const bad = await failure(readModelDir(join(dir, 'bad')));
    expect(bad.code).toBe('VIGIL_ERR_BAD_MODEL');
    expect(bad.message).toContain(join(dir, 'bad', 'model.json'));
    expect(bad.message).toContain('formatVersion');
  });
});

describe('opening a file registry', () => {
  it('removes versions staged by a writer that died more than an hour ago, and keeps recent ones', async () => {
    await mkdir(join(dir, '.staging', 'old', 'files'), { recursive: true });
    await mkdir(join(dir, '.staging', 'new', 'files'), { recursive: true });
    const twoHoursAgo = new Date(Date.now() - 7_200_000);
    await utimes(join(dir, '.staging', 'old'), twoHoursAgo, twoHoursAgo);
    await openFileModelRegistry(dir);
    expect(await readdir(join(dir, '.staging'))).toEqual(['new']);
  });
});
