/**
 * Building the command line (what every `vigil …` does before it runs a command, `vigil serve`
 * included) loads no client of the scaled-out services: the Kafka, PostgreSQL and Redis clients
 * come in only with the command that uses them. In `vigil serve` they would otherwise stay in
 * the server's heap for good, where each major garbage collection marks them.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SERVICE_CLIENTS = ['@platformatic/kafka', 'kafkajs', 'pg', 'ioredis'];

/** The packages under node_modules that importing `modules` (in order) resolves, in a fresh Node. */
function packagesLoadedBy(modules: string[], call: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const seen = new Set();
    registerHooks({
      resolve(specifier, context, next) {
        const r = next(specifier, context);
        const m = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
        if (m) seen.add(m[1]);
        return r;
      },
    });
    const loaded = [];
    for (const u of ${JSON.stringify(modules.map((m) => pathToFileURL(resolve(ROOT, m)).href))}) loaded.push(await import(u));
    ${call}
    process.stdout.write(JSON.stringify([...seen]));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

describe('what the command line loads', () => {
  it('builds every command without loading the Kafka, PostgreSQL or Redis clients', () => {
    const loaded = packagesLoadedBy(['src/cli/main.ts'], 'loaded[0].buildProgram();');
    expect(loaded).toContain('commander');
    for (const client of SERVICE_CLIENTS) expect(loaded).not.toContain(client);
  });

  it('`vigil serve` (src/app/embedded.ts, which picks its backends in src/app/backends.ts) loads none of them', () => {
    const loaded = packagesLoadedBy(['src/app/embedded.ts'], '');
    expect(loaded).toContain('fastify');
    for (const client of SERVICE_CLIENTS) expect(loaded).not.toContain(client);
  });

  it('loads them with the kafka benchmark run (so the check above sees them when they are imported)', () => {
    const loaded = packagesLoadedBy(['src/cli/main.ts', 'src/cli/bench/kafka-run.ts'], '');
    expect(loaded).toEqual(expect.arrayContaining(['@platformatic/kafka', 'pg']));
  });
});
