/**
 * Regenerates the reference docs that are derived from code: docs/openapi.json (from the route
 * schemas), the error table in docs/errors.md (from the catalogue) and the key table in
 * docs/configuration.md (from the config schema), and the pipeline section of docs/detectors.md (from the
 * stage registries and presets). `npm run docs`; a test fails when they are stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  renderConfigTable,
  renderErrorTable,
  renderOpenApi,
  renderPipelineReference,
} from './docs-render.ts';

const root = resolve(import.meta.dirname, '..');
writeFileSync(join(root, 'docs/openapi.json'), await renderOpenApi());
writeFileSync(join(root, 'docs/errors.md'), renderErrorTable());
writeFileSync(join(root, 'docs/configuration.md'), renderConfigTable());
const detectors = join(root, 'docs/detectors.md');
writeFileSync(detectors, renderPipelineReference(readFileSync(detectors, 'utf8')));
console.log(
  'wrote docs/openapi.json, docs/errors.md, docs/configuration.md, docs/detectors.md (pipeline section)',
);
