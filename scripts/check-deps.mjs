#!/usr/bin/env node
// Dependency-direction check (DESIGN.md "Layers"): core ← engine ← adapters ← app.
// core and ports import only core/ports; engine imports core/ports; nothing below app imports app or cli.
// Adapters are siblings: adapters/X never imports adapters/Y. What several adapters need goes to
// core (pure), ports (interfaces) or one of SHARED_ADAPTERS below, which import no other adapter.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const allowed = {
  core: ['core'],
  ports: ['core', 'ports'],
  engine: ['core', 'ports', 'engine'],
  config: ['core', 'config'],
  adapters: ['core', 'ports', 'engine', 'adapters', 'config'],
  app: ['core', 'ports', 'engine', 'adapters', 'config', 'app'],
  cli: ['core', 'ports', 'engine', 'adapters', 'config', 'app', 'cli'],
  // The browser code (docs/ui.md): a client of the public HTTP API, so it imports only itself, and
  // no other layer lists it (adapters/http/ui-routes.ts bundles it by path, never imports it).
  ui: ['ui'],
};

/**
 * Adapter folders every adapter may import. `os/` wraps the host the process runs on (thread
 * priority, the worker-thread RPC of the embedded server's threads): no external system that
 * another adapter could replace, and it does I/O, so it cannot live in core.
 */
export const SHARED_ADAPTERS = ['os'];

// Node built-ins that mean I/O; core and engine must not touch them.
const ioModules =
  /^(node:)?(fs|fs\/promises|net|http|https|http2|dgram|child_process|worker_threads|sqlite|os|process|dns|tls|cluster)$/;

// Clock, timers and unseeded randomness: core and engine get these injected, so replays are exact.
const impure =
  /\b(Date\.now|performance\.now|new Date\(\)|setTimeout|setInterval|setImmediate|Math\.random|process\.env)\b/;

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

/** Every layering problem of the `.ts` files under `src` (paths in messages relative to `root`). */
export function checkDeps(src, root = dirname(src)) {
  const problems = [];
  let files = 0;
  for (const file of walk(src)) {
    files++;
    const [layer, folder] = relative(src, file).split('/');
    const text = readFileSync(file, 'utf8');
    if (layer === 'core' || layer === 'engine' || layer === 'ports') {
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      const hit = impure.exec(code);
      if (hit !== null) problems.push(`${relative(root, file)}: ${layer} must not use ${hit[1]} (inject it)`);
    }
    for (const m of text.matchAll(
      /^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm,
    )) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith('.')) {
        const [target, targetFolder] = relative(src, resolve(dirname(file), spec)).split('/');
        if (!(allowed[layer] ?? []).includes(target)) {
          problems.push(`${relative(root, file)}: ${layer} must not import ${target} (${spec})`);
        } else if (
          layer === 'adapters' &&
          target === 'adapters' &&
          targetFolder !== folder &&
          (!SHARED_ADAPTERS.includes(targetFolder) || SHARED_ADAPTERS.includes(folder))
        ) {
          problems.push(
            `${relative(root, file)}: adapters/${folder} must not import adapters/${targetFolder} (${spec}); ` +
              'move what both need to core, ports or a shared adapter folder',
          );
        }
      } else if ((layer === 'core' || layer === 'engine' || layer === 'ports') && ioModules.test(spec)) {
        problems.push(`${relative(root, file)}: ${layer} must not do I/O (imports ${spec})`);
      }
    }
  }
  return { files, problems };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const { files, problems } = checkDeps(join(root, 'src'), root);
  if (problems.length > 0) {
    console.error(`dependency check failed:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`dependency check: ${files} files, layering respected`);
}
