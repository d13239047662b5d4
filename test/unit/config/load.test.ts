import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isLoopback, loadConfig } from '../../../src/config/load.ts';

describe('configuration', () => {
  it('has defaults for everything', () => {
    const c = loadConfig();
    expect(c.http.port).toBe(8080);
    expect(c.dataDir).toBe('./.vigil');
    expect(c.storage.synchronous).toBe('full');
    expect(Object.isFrozen(c.engine)).toBe(true);
  });

  it('layers file < env < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    const file = join(dir, 'vigil.json');
    writeFileSync(
      file,
      JSON.stringify({ http: { port: 1111 }, dataDir: '/from-file', engine: { threshold: 0.9 } }),
    );
    const c = loadConfig({
      file,
      env: { VIGIL_PORT: '2222', VIGIL_DATA_DIR: '/from-env' },
      overrides: { dataDir: '/from-flag' },
    });
    expect(c.http.port).toBe(2222);
    expect(c.dataDir).toBe('/from-flag');
    expect(c.engine.threshold).toBe(0.9);
  });

  it('names the key path of every error and rejects unknown keys', () => {
    expect(() => loadConfig({ overrides: { 'http.port': 70000 } })).toThrow(/http\.port: must be <= 65535/);
    expect(() => loadConfig({ overrides: { 'ingest.maxSerie': 5 } })).toThrow(
      /ingest\.maxSerie: unknown key/,
    );
    expect(() => loadConfig({ env: { VIGIL_THRESHOLD: 'high' } })).toThrow(
      /engine\.threshold: must be number/,
    );
    expect(() => loadConfig({ overrides: { 'storage.synchronous': 'off' } })).toThrow(/storage\.synchronous/);
  });

  it('reports an unreadable or invalid file clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/vigil.json' })).toThrow(/cannot read config file/);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    writeFileSync(join(dir, 'bad.json'), '{');
    expect(() => loadConfig({ file: join(dir, 'bad.json') })).toThrow(/not valid JSON/);
  });

  it('validates the pipeline whole: stage names and params against their schemas, naming the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cfg-'));
    const file = join(dir, 'vigil.json');
    const withPipeline = (pipeline: unknown) => {
      writeFileSync(file, JSON.stringify({ engine: { pipeline } }));
      return () => loadConfig({ file });
    };
    expect(withPipeline({ detector: { name: 'ewma', params: { alpha: 2 } } })).toThrow(
      /engine\.pipeline\.detector\.params\.alpha: must be <= 1/,
    );
    expect(withPipeline({ detector: { name: 'ewma' }, calibration: { name: 'platt' } })).toThrow(
      /engine\.pipeline\.calibration\.name: unknown calibrator "platt"/,
    );
    expect(
      withPipeline({ detector: { name: 'ewma' }, postRules: [{ name: 'minDuration', points: 0 }] }),
    ).toThrow(/engine\.pipeline\.postRules\.0\.points: must be >= 1/);
    // The shorthand is checked too, so a bad name or param stops `vigil serve` before it listens.
    expect(() => loadConfig({ env: { VIGIL_DETECTOR: 'nope' } })).toThrow(
      /engine\.detector: unknown detector "nope"/,
    );
    expect(() =>
      loadConfig({ overrides: { 'engine.detector': 'ewma', 'engine.params': { warmup: -1 } } }),
    ).toThrow(/engine\.params\.warmup: must be >= /);
    // The shorthand beside a pipeline would be ignored, so it is refused.
    expect(() =>
      loadConfig({
        overrides: { 'engine.pipeline': { detector: { name: 'ewma' } }, 'engine.threshold': 0.9 },
      }),
    ).toThrow(/engine\.threshold: set it in engine\.pipeline/);
    // A building block is not selectable by name.
    expect(() => loadConfig({ overrides: { 'engine.detector': 'vigil-events' } })).toThrow(
      /engine\.detector/,
    );
    const ok = withPipeline({
      detector: { name: 'ewma', params: {} },
      calibration: { name: 'likelihood' },
      threshold: 0.99,
      postRules: [
        { name: 'direction', value: 'up' },
        { name: 'minDeviation', absolute: 5, relative: 0.1 },
        { name: 'minDuration', points: 3 },
      ],
    })();
    expect(ok.engine.pipeline).toMatchObject({ threshold: 0.99, postRules: [{ name: 'direction' }, {}, {}] });
  });
});

describe('safe default bind (issue 17)', () => {
  it('listens on loopback by default', () => {
    expect(loadConfig().http.host).toBe('127.0.0.1');
  });

  it.each(['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (h) => {
      expect(isLoopback(h)).toBe(true);
      expect(loadConfig({ overrides: { 'http.host': h } }).http.host).toBe(h);
    },
  );

  it.each(['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'example.com', '128.0.0.1'])(
    'refuses to listen on %s without an explicit auth.mode, naming the key',
    (h) => {
      expect(isLoopback(h)).toBe(false);
      expect(() => loadConfig({ overrides: { 'http.host': h } })).toThrow(/http\.host: .* auth\.mode/s);
      expect(loadConfig({ env: { VIGIL_HOST: h, VIGIL_AUTH_MODE: 'none' } }).auth.mode).toBe('none');
      expect(loadConfig({ env: { VIGIL_HOST: h, VIGIL_AUTH_MODE: 'keys' } }).auth.mode).toBe('keys');
    },
  );

  it('bounds how long a verified key is trusted to 5 s (revocation latency)', () => {
    expect(loadConfig().auth).toMatchObject({ mode: 'loopback', keyCacheMs: 2000 });
    expect(() => loadConfig({ overrides: { 'auth.keyCacheMs': 5001 } })).toThrow(/auth\.keyCacheMs/);
    expect(() => loadConfig({ overrides: { 'auth.mode': 'open' } })).toThrow(/auth\.mode/);
  });
});
