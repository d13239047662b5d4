import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const vigil = (...args: string[]) =>
  spawnSync(process.execPath, [join(ROOT, 'bin/vigil.mjs'), ...args], { encoding: 'utf8', cwd: ROOT });

describe('vigil CLI', () => {
  it('has help for every command', () => {
    const top = vigil('--help');
    expect(top.status).toBe(0);
    for (const cmd of ['serve', 'replay', 'bench']) expect(top.stdout).toContain(cmd);
    for (const cmd of [['serve'], ['replay'], ['bench'], ['bench', 'ingest'], ['bench', 'nab']]) {
      const r = vigil(...cmd, '--help');
      expect(r.status, cmd.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: vigil/);
    }
  });

  it('replay scores a CSV and writes the documented columns', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
    const input = join(dir, 'in.csv');
    const rows = ['timestamp,value'];
    for (let i = 0; i < 300; i++)
      rows.push(
        `2026-01-01 00:${String(Math.floor(i / 60)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')},${i === 250 ? 900 : 10 + (i % 5)}`,
      );
    writeFileSync(input, rows.join('\n'));
    const out = join(dir, 'out.csv');
    const r = vigil('replay', input, '--detector', 'ewma', '--out', out);
    expect(r.status, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('timestamp,value,score,anomalous,expected,lower,upper');
    expect(lines).toHaveLength(301);
    const spike = lines[251]!.split(',');
    expect(spike[0]).toBe('2026-01-01 00:04:10');
    expect(spike[3]).toBe('1');
    expect(Number(spike[2])).toBeGreaterThan(0.999);
    expect(r.stderr).toMatch(/300 points, \d+ anomalous/);
  });

  it('replay reports a bad CSV line precisely', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
    writeFileSync(join(dir, 'bad.csv'), 'timestamp,value\n2026-01-01 00:00:00,1\n2026-01-01 00:00:01,abc\n');
    const r = vigil('replay', join(dir, 'bad.csv'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/line 3: value "abc" is not a finite number/);
  });

  it('serve refuses an invalid configuration naming the key', () => {
    const r = vigil('serve', '--port', '99999');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/http\.port: must be <= 65535/);
  });

  it('serve refuses an invalid pipeline in the config file before it listens, naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-serve-'));
    const file = join(dir, 'vigil.json');
    writeFileSync(
      file,
      JSON.stringify({
        dataDir: join(dir, 'data'),
        engine: { pipeline: { detector: { name: 'ewma', params: { alpha: 2 } } } },
      }),
    );
    const r = vigil('serve', '--config', file, '--port', '0');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/engine\.pipeline\.detector\.params\.alpha: must be <= 1/);
    expect(r.stderr).not.toMatch(/listening/);
  });
});
