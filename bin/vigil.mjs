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
// points/s: p99 median 15.5 vs 21.6 ms; bench/README.md, Ingest). It also caps V8's semi-spaces at
// 16 MB unless NODE_OPTIONS or the command line sets them: the young generations of the request
// and engine threads grew to 128 MB each under load, ~290 MB whatever the number of series, and
// the default's ingest was the same with the cap (bench/README.md, "Cost per series"). V8 reads
// these flags only at start, so the process replaces itself (same pid) with one started with them.
if (process.argv[2] === 'serve' && typeof process.execve === 'function' /* not on Windows */) {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const flags = [];
  if (process.env.VIGIL_PARALLEL_GC !== '1' && !given.includes('--single-threaded-gc')) {
    flags.push('--single-threaded-gc');
  }
  if (!given.some((a) => a.startsWith('--max-semi-space-size'))) flags.push('--max-semi-space-size=16');
  if (flags.length > 0) {
    process.execve(process.execPath, [
      process.execPath,
      ...flags,
      ...process.execArgv,
      ...process.argv.slice(1),
    ]);
  }
}
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
