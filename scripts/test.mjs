#!/usr/bin/env node
// `npm test`: type check, lint, dependency direction, then every vitest suite. Ends with the line
// `N passed, N failed` that CI reads. Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (label, cmd, args) => {
  process.stdout.write(`\n== ${label}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
};

// The integration tests talk to real services; make sure they are installed (idempotent).
if (!run('services (scripts/services/install.sh)', 'bash', [join(root, 'scripts/services/install.sh')])) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

let passed = 0;
let failed = 0;
for (const [label, cmd, args] of [
  ['typecheck (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'tsconfig.json']],
  // The browser code has the DOM's types, not Node's: its own project (src/ui/tsconfig.json).
  ['typecheck UI (tsc --noEmit)', bin('tsc'), ['--noEmit', '-p', 'src/ui/tsconfig.json']],
  ['lint + format (biome)', bin('biome'), ['check', '.']],
  ['dependency direction', process.execPath, [join(root, 'scripts/check-deps.mjs')]],
]) {
  if (run(label, cmd, args)) passed++;
  else {
    failed++;
    console.log(`FAILED: ${label}`);
  }
}

const report = join(root, 'test-results.json');
rmSync(report, { force: true });
run('vitest', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (r.numFailedTestSuites ?? 0) - countSuitesWithFailedTests(r);
  if (r.numTotalTests === 0) failed++;
} else {
  console.log('vitest wrote no report');
  failed++;
}

function countSuitesWithFailedTests(r) {
  // A failed suite with no failed test (e.g. an import error) must still count as a failure.
  return r.testResults.filter(
    (s) => s.status === 'failed' && s.assertionResults.some((a) => a.status === 'failed'),
  ).length;
}

// Stop every service the tests started (scripts/services/*.sh up is idempotent, so tests share them).
run('stop services (scripts/services/all.sh down)', 'bash', [join(root, 'scripts/services/all.sh'), 'down']);

console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
