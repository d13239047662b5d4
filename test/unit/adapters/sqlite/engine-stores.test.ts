/** The engine stores of a data dir: the first start records the thread count (making the dir if it is new), later starts keep it. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineStores } from '../../../../src/adapters/sqlite/engine-stores.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-stores-'));
  dirs.push(d);
  return d;
};

describe('engineStores', () => {
  it('makes a data dir that does not exist yet and records the count there', () => {
    const data = join(fresh(), 'not', 'yet');
    const s = engineStores(join(data, 'store.db'), 2);
    expect(s).toEqual({ paths: [join(data, 'store.db'), join(data, 'store-1.db')], kept: false });
    expect(readFileSync(join(data, 'engine-threads'), 'utf8')).toBe('2\n');
    expect(existsSync(join(data, 'engine-threads.tmp'))).toBe(false);
  });

  it('keeps the recorded count, and one thread for a store made before threads', () => {
    const a = fresh();
    engineStores(join(a, 'store.db'), 3);
    expect(engineStores(join(a, 'store.db'), 1)).toMatchObject({ kept: true, paths: { length: 3 } });
    const b = fresh();
    writeFileSync(join(b, 'store.db'), '');
    expect(engineStores(join(b, 'store.db'), 2)).toEqual({ paths: [join(b, 'store.db')], kept: true });
  });
});
