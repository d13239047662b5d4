/**
 * deploy/Dockerfile, checked statically (no Docker engine runs here): its stages, the user the
 * image runs as, that only production dependencies reach the runtime stage, that everything it
 * COPYs exists and gets through deploy/Dockerfile.dockerignore, and that every package the code
 * imports at run time is a production dependency (the image has no others).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  image: string;
  name: string;
  instructions: Instruction[];
}

/** Instructions with line continuations joined; comments and parser directives dropped. */
function parseDockerfile(text: string): { globalArgs: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) current += `${line.slice(0, -1)} `;
    else {
      logical.push(current + line);
      current = '';
    }
  }
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const m = /^\s*(\w+)\s+(.*)$/s.exec(line);
    if (m === null) throw new Error(`unparsable Dockerfile line: ${line}`);
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (keyword === 'FROM') {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`unparsable FROM: ${args}`);
      const image = from[1]!.replace(/\$\{?(\w+)\}?/g, (_, v: string) => globalArgs.get(v) ?? '');
      stages.push({ image, name: from[2] ?? String(stages.length), instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== 'ARG') throw new Error(`${keyword} before the first FROM`);
      const [name, value = ''] = args.split('=', 2);
      globalArgs.set(name!, value);
    } else stages.at(-1)!.instructions.push({ keyword, args });
  }
  return { globalArgs, stages };
}

/** A .dockerignore as Docker reads it: the last matching pattern wins, `!` re-includes. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const pattern = (negated ? l.slice(1) : l).replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split('/')
        .map((part) =>
          part === '**'
            ? '.*'
            : part
                .replace(/[.+^${}()|[\]\\]/g, '\\$&')
                .replace(/\*/g, '[^/]*')
                .replace(/\?/g, '[^/]'),
        )
        .join('/')
        .replace(/\.\*\//g, '(?:.*/)?');
      return { negated, re: new RegExp(`^${source}$`) };
    });
  // A pattern that matches a folder matches everything under it.
  const matches = (re: RegExp, path: string) => {
    const parts = path.split('/');
    return parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')));
  };
  return (path) => {
    let excluded = false;
    for (const r of rules) if (matches(r.re, path)) excluded = !r.negated;
    return excluded;
  };
}

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else yield p;
  }
}

const dockerfile = readFileSync(join(root, 'deploy/Dockerfile'), 'utf8');
const { globalArgs, stages } = parseDockerfile(dockerfile);
const runtime = stages.at(-1)!;
const excluded = dockerignore(readFileSync(join(root, 'deploy/Dockerfile.dockerignore'), 'utf8'));
const runs = (s: Stage) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const last = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword).at(-1);

describe('deploy/Dockerfile', () => {
  it('has a dependency stage and a runtime stage, both on the Node major that package.json pins', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const nodeMajor = pkg.devDependencies['node']!.replace(/^\D*/, '').split('.')[0];
    expect(globalArgs.get('NODE_IMAGE')).toBeDefined();
    for (const stage of stages) expect(stage.image).toMatch(new RegExp(`^node:${nodeMajor}(\\.|-|$)`));
    expect(new Set(stages.map((s) => s.name)).size).toBe(stages.length);
  });

  it('installs production dependencies only, exactly as locked, and none in the runtime stage', () => {
    const installs = stages.flatMap(runs).filter((r) => /\bnpm\s+(ci|install|i)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const r of installs) {
      expect(r).toMatch(/\bnpm\s+ci\b/);
      expect(r).toMatch(/--omit=dev\b/);
    }
    expect(runs(runtime).filter((r) => /\b(npm|npx|yarn|pnpm)\s+\w/.test(r))).toEqual([]);
    // node_modules reaches the runtime stage only from a stage that installed with --omit=dev.
    const copies = runtime.instructions.filter((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
    expect(copies.length).toBe(1);
    const from = /--from=(\S+)/.exec(copies[0]!.args)?.[1];
    const source = stages.find((s) => s.name === from);
    expect(source).toBeDefined();
    expect(runs(source!).some((r) => /\bnpm\s+ci\b.*--omit=dev/.test(r))).toBe(true);
  });

  it('runs as a numeric non-root user', () => {
    const user = last(runtime, 'USER');
    expect(user).toBeDefined();
    const [uid, gid] = user!.args.split(':');
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
    // Nothing after USER switches back to root.
    const after = runtime.instructions.slice(runtime.instructions.indexOf(user!) + 1);
    expect(after.filter((i) => i.keyword === 'USER' || i.keyword === 'RUN')).toEqual([]);
  });

  it('copies only what exists and what the ignore file lets into the build context', () => {
    const sources = stages.flatMap((s) =>
      s.instructions
        .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
        .flatMap((i) => {
          const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
          return words.slice(0, -1);
        }),
    );
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'bin', 'src']));
    for (const source of sources) {
      expect(existsSync(join(root, source)), `${source} exists`).toBe(true);
      const all = statSync(join(root, source)).isDirectory() ? [...files(join(root, source))] : [source];
      for (const file of all) {
        const rel = relative(root, resolve(root, file));
        if (/\.test\.ts$/.test(rel)) continue;
        expect(excluded(rel), `${rel} is in the build context`).toBe(false);
      }
    }
    for (const path of [
      'test/unit/x.test.ts',
      'node_modules/a/index.js',
      '.git/HEAD',
      '.services/kafka/env',
    ]) {
      expect(excluded(path), `${path} stays out of the build context`).toBe(true);
    }
  });

  it('trusts no extra CA certificates (the test build adds its own in test/image only)', () => {
    for (const word of [
      'NODE_EXTRA_CA_CERTS',
      'ca-certificates',
      'update-ca-certificates',
      'strict-ssl',
      'cafile',
    ])
      expect(dockerfile.toLowerCase()).not.toContain(word.toLowerCase());
  });

  it('serves port 8080 and starts vigil, in embedded mode by default', () => {
    expect(runtime.instructions.some((i) => i.keyword === 'EXPOSE' && /\b8080\b/.test(i.args))).toBe(true);
    expect(JSON.parse(last(runtime, 'ENTRYPOINT')!.args)).toEqual(['node', 'bin/vigil.mjs']);
    expect(JSON.parse(last(runtime, 'CMD')!.args)[0]).toBe('serve');
    expect(existsSync(join(root, 'bin/vigil.mjs'))).toBe(true);
  });

  it('every package the code imports at run time is a production dependency', () => {
    // Dev-only imports that run only from a checkout and fail with a clear error without it.
    const devOnly = new Set(['kafkajs (src/cli/bench/kafka-peers.ts)']);
    const builtins = new Set(builtinModules);
    const missing = new Set<string>();
    for (const dir of ['bin', 'src']) {
      for (const file of files(join(root, dir))) {
        if (!/\.(ts|mjs|js)$/.test(file)) continue;
        const text = readFileSync(file, 'utf8');
        const specs = [
          ...[...text.matchAll(/^\s*(?:import|export)\s+(?!type\b)[^'";]*?\bfrom\s+['"]([^'"]+)['"]/gm)].map(
            (m) => m[1]!,
          ),
          ...[...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
          ...[...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
        ];
        for (const spec of specs) {
          if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (builtins.has(name)) continue;
          const at = `${name} (${relative(root, file)})`;
          if (pkg.dependencies[name] === undefined && !devOnly.has(at)) missing.add(at);
        }
      }
    }
    expect([...missing]).toEqual([]);
  });
});
