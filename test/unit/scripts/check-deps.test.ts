/** scripts/check-deps.mjs on small source trees written for the case. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { checkDeps } from '../../../scripts/check-deps.mjs';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes `files` (path under src → text) and returns the problems check-deps finds. */
function problemsOf(files: Record<string, string>): string[] {
  const root = mkdtempSync(join(tmpdir(), 'vigil-check-deps-'));
  dirs.push(root);
  for (const [path, text] of Object.entries(files)) {
    const p = join(root, 'src', path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return (checkDeps(join(root, 'src'), root) as { problems: string[] }).problems;
}

it('passes the repository itself', () => {
  const src = join(import.meta.dirname, '../../../src');
  expect((checkDeps(src) as { problems: string[] }).problems).toEqual([]);
});

it('refuses one adapter importing another, in either form of import', () => {
  const problems = problemsOf({
    'adapters/kafka/log.ts': "import { encode } from '../sqlite/codec.ts';\nexport const x = 1;\n",
    'adapters/sqlite/codec.ts':
      "export const encode = () => 1;\nconst y = await import('../kafka/log.ts');\n",
  });
  expect(problems).toEqual([
    expect.stringContaining('src/adapters/kafka/log.ts: adapters/kafka must not import adapters/sqlite'),
    expect.stringContaining('src/adapters/sqlite/codec.ts: adapters/sqlite must not import adapters/kafka'),
  ]);
});

it('lets adapters import their own folder, core, ports, config and the shared os/ folder', () => {
  expect(
    problemsOf({
      'adapters/sqlite/store.ts': [
        "import { a } from './codec.ts';",
        "import { b } from '../../core/point.ts';",
        "import type { C } from '../../ports/log.ts';",
        "import { d } from '../../config/schema.ts';",
        "import { e } from '../os/worker-rpc.ts';",
      ].join('\n'),
    }),
  ).toEqual([]);
});

it('keeps the shared folder from importing adapters itself', () => {
  expect(problemsOf({ 'adapters/os/rpc.ts': "import { a } from '../sqlite/x.ts';\n" })).toEqual([
    expect.stringContaining('adapters/os must not import adapters/sqlite'),
  ]);
});

it('still checks the layers: core imports nothing above it and does no I/O or clock reads', () => {
  const problems = problemsOf({
    'core/a.ts':
      "import { x } from '../adapters/sqlite/codec.ts';\nimport { readFileSync } from 'node:fs';\n",
    'core/b.ts': 'export const now = () => Date.now();\n',
  });
  expect(problems).toEqual([
    expect.stringContaining('core must not import adapters'),
    expect.stringContaining('core must not do I/O (imports node:fs)'),
    expect.stringContaining('core must not use Date.now'),
  ]);
});

it('keeps the browser code apart: ui imports only ui, and no layer imports ui', () => {
  const problems = problemsOf({
    'ui/main.ts': "import { h } from './dom.ts';\nimport { x } from '../core/x.ts';\n",
    'ui/dom.ts': 'export const h = 1;\n',
    'core/x.ts': 'export const x = 1;\n',
    'adapters/http/ui.ts': "import { h } from '../../ui/dom.ts';\n",
  });
  expect(problems).toEqual([
    expect.stringContaining('src/adapters/http/ui.ts: adapters must not import ui'),
    expect.stringContaining('src/ui/main.ts: ui must not import core'),
  ]);
});
