#!/usr/bin/env node
// Entry point of the `vigil` command. Vigil runs on Node 24, which executes TypeScript directly.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `vigil needs Node.js 24 or newer (this is ${process.version}). Run it through npm ` +
      '(`npm start`, `npx vigil`), which uses the Node 24 pinned in devDependencies.\n',
  );
  process.exit(1);
}
// `serve` runs with V8's garbage collection on the thread that allocates, without helper threads:
// with its five busy threads on two cores, the engine thread's scavenges ran on helpers at normal
// priority and took the cores from the thread that answers requests (alternating runs at 250,000
// points/s: p99 median 15.5 vs 21.6 ms; bench/README.md, Ingest). V8 reads the flag only at start, so
// the process replaces itself (same pid) with one started with it.
if (
  process.argv[2] === 'serve' &&
  typeof process.execve === 'function' && // not on Windows
  !process.execArgv.includes('--single-threaded-gc') &&
  process.env.VIGIL_PARALLEL_GC !== '1'
) {
  process.execve(process.execPath, [
    process.execPath,
    '--single-threaded-gc',
    ...process.execArgv,
    ...process.argv.slice(1),
  ]);
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
