/** The generated reference docs must match the code they are generated from (`npm run docs`). */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  renderConfigTable,
  renderErrorTable,
  renderOpenApi,
  renderPipelineReference,
} from '../../scripts/docs-render.ts';

const docs = resolve(import.meta.dirname, '../../docs');
const read = (f: string) => readFileSync(join(docs, f), 'utf8');

describe('generated docs are current (run `npm run docs` if this fails)', () => {
  it('docs/errors.md lists every error code', () => {
    expect(read('errors.md')).toBe(renderErrorTable());
  });
  it('docs/detectors.md lists every preset, selectable detector, calibrator and post-rule', () => {
    const current = read('detectors.md');
    expect(current).toBe(renderPipelineReference(current));
    for (const name of [
      'vigil',
      'fast',
      'likelihood',
      'lite-likelihood',
      'direction',
      'minDeviation',
      'minDuration',
    ])
      expect(current).toContain(`\`${name}\``);
  });
  it('docs/configuration.md lists every config key', () => {
    expect(read('configuration.md')).toBe(renderConfigTable());
  });
  it('docs/openapi.json is the served OpenAPI document', async () => {
    const served = await renderOpenApi();
    expect(read('openapi.json')).toBe(served);
    const spec = JSON.parse(served) as { paths: Record<string, unknown> };
    for (const p of [
      '/api/v1/points',
      '/write',
      '/api/v1/write',
      '/api/v1/series',
      '/api/v1/anomalies',
      '/metrics',
    ]) {
      expect(Object.keys(spec.paths)).toContain(p);
    }
  });
});
