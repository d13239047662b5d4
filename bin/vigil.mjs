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
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
