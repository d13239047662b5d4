/**
 * `vigil models …`: the model registry from the command line, on the configured registry (the
 * data dir's file registry, or MLflow with `--registry mlflow` / VIGIL_MODEL_REGISTRY):
 *
 *   list                         models, their version count and @production version
 *   versions NAME                versions oldest first: created, aliases, tags, run
 *   show REF                     one version as JSON: record, spec (model.json), report
 *   alias NAME ALIAS VERSION     points ALIAS at VERSION (rollback: move production back)
 *   export REF DIR               writes the version's model directory (what models.path loads)
 *   import DIR [--name NAME]     registers a model directory as a new version
 *
 * REF is NAME (its @production version), NAME@ALIAS or NAME:VERSION. Exit codes: 0 ok; 2 bad
 * usage, a bad name or a bad model directory/artifact (VIGIL_ERR_BAD_MODEL, the message names the
 * file); 3 unknown model, version or alias (VIGIL_ERR_UNKNOWN_MODEL); 4 registry unreachable
 * (VIGIL_ERR_UNAVAILABLE: retry); 1 anything else. Results go to stdout, messages to stderr.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { isVigilError, VigilError } from '../core/errors.ts';
import { decodeModelSpec, MODEL_FILE, PRODUCTION_ALIAS } from '../core/models/model.ts';
import { checkAlias, checkVersion, parseModelRefText } from '../core/models/registry-names.ts';
import type { ModelRegistry, ModelVersion } from '../ports/model-registry.ts';

interface RegistryOptions {
  config?: string;
  dataDir?: string;
  registry?: string;
  mlflowUrl?: string;
}

/** The exit code of an error (documented above and in docs/models.md). */
export function modelsExitCode(err: unknown): number {
  if (!isVigilError(err)) return 1;
  switch (err.code) {
    case 'VIGIL_ERR_BAD_MODEL':
    case 'VIGIL_ERR_BAD_REQUEST':
    case 'VIGIL_ERR_CONFIG':
      return 2;
    case 'VIGIL_ERR_UNKNOWN_MODEL':
      return 3;
    case 'VIGIL_ERR_UNAVAILABLE':
      return 4;
    default:
      return 1;
  }
}

function withRegistryOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON config file (see docs/configuration.md)')
    .option(
      '-d, --data-dir <dir>',
      'data directory of the files registry [env VIGIL_DATA_DIR] (default ./.vigil)',
    )
    .option('--registry <kind>', 'files or mlflow [env VIGIL_MODEL_REGISTRY] (default files)')
    .option('--mlflow-url <url>', 'the MLflow server [env VIGIL_MLFLOW_URL]')
    .exitOverride((err) => {
      // Commander has printed its message; bad usage is exit code 2, help and version 0.
      process.exit(err.exitCode === 0 ? 0 : 2);
    });
}

async function withRegistry(o: RegistryOptions, fn: (r: ModelRegistry) => Promise<void>): Promise<void> {
  try {
    const config = loadConfig({
      ...(o.config !== undefined ? { file: o.config } : {}),
      env: process.env,
      overrides: { dataDir: o.dataDir, 'models.registry': o.registry, 'models.mlflowUrl': o.mlflowUrl },
    });
    const { openModelRegistry } = await import('../app/model-registry.ts');
    const registry = await openModelRegistry(config);
    try {
      await fn(registry);
    } finally {
      await registry.close();
    }
  } catch (err) {
    process.stderr.write(`vigil models: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = modelsExitCode(err);
  }
}

/** The version a REF names: NAME is its @production version. */
async function resolveRef(registry: ModelRegistry, text: string): Promise<ModelVersion> {
  const ref = parseModelRefText(text);
  if (ref.version !== undefined) return registry.version(ref.name, ref.version);
  const alias = ref.alias ?? PRODUCTION_ALIAS;
  const v = await registry.byAlias(ref.name, alias);
  if (v === undefined) {
    const known = (await registry.models()).includes(ref.name);
    throw new VigilError(
      'VIGIL_ERR_UNKNOWN_MODEL',
      known
        ? `model "${ref.name}" has no @${alias} version (give NAME:VERSION, or set it: vigil models alias ${ref.name} ${alias} VERSION)`
        : `model "${ref.name}" is not registered (${registry.description})`,
    );
  }
  return v;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const note = (line: string): void => {
  process.stderr.write(`vigil models: ${line}\n`);
};

export function registerModels(program: Command): void {
  const models = program
    .command('models')
    .description('list, show, alias (roll back), export and import registered models (docs/models.md)');

  withRegistryOptions(
    models.command('list').description('models: name, versions, @production version'),
  ).action((o: RegistryOptions) =>
    withRegistry(o, async (r) => {
      for (const name of await r.models()) {
        const versions = await r.versions(name);
        const prod = versions.find((v) => v.aliases.includes(PRODUCTION_ALIAS));
        out([name, String(versions.length), prod?.version ?? '-'].join('\t'));
      }
    }),
  );

  withRegistryOptions(
    models
      .command('versions')
      .description('versions oldest first: version, created, aliases, tags, run')
      .argument('<name>', 'the model'),
  ).action((name: string, o: RegistryOptions) =>
    withRegistry(o, async (r) => {
      for (const v of await r.versions(name)) {
        const tags = Object.entries(v.tags).map(([k, val]) => `${k}=${val}`);
        out(
          [
            v.version,
            iso(v.createdAt),
            v.aliases.join(',') || '-',
            tags.join(',') || '-',
            v.runId ?? '-',
          ].join('\t'),
        );
      }
    }),
  );

  withRegistryOptions(
    models
      .command('show')
      .description('one version as JSON: its record, its spec (model.json) and training report')
      .argument('<ref>', 'NAME (its @production version), NAME@ALIAS or NAME:VERSION'),
  ).action((ref: string, o: RegistryOptions) =>
    withRegistry(o, async (r) => {
      const v = await resolveRef(r, ref);
      const files = await r.files(v.name, v.version);
      const spec = decodeModelSpec(files.get(MODEL_FILE)!, `${v.source}/${MODEL_FILE}`);
      const report = spec.report;
      out(
        JSON.stringify(
          {
            ...v,
            createdAt: iso(v.createdAt),
            files: [...files.keys()],
            spec,
            ...(report ? { report } : {}),
          },
          null,
          2,
        ),
      );
    }),
  );

  withRegistryOptions(
    models
      .command('alias')
      .description('point ALIAS at VERSION; rolling back is moving production to an earlier version')
      .argument('<name>', 'the model')
      .argument('<alias>', `the alias, e.g. ${PRODUCTION_ALIAS}`)
      .argument('<version>', 'an existing version number'),
  ).action((name: string, alias: string, version: string, o: RegistryOptions) =>
    withRegistry(o, async (r) => {
      checkAlias(alias);
      checkVersion(version);
      const before = await r.byAlias(name, alias);
      await r.setAlias(name, alias, version);
      note(`${name}@${alias}: version ${version} (was ${before === undefined ? 'unset' : before.version})`);
    }),
  );

  withRegistryOptions(
    models
      .command('export')
      .description('write a version as a model directory that models.path / MODEL_PATH loads')
      .argument('<ref>', 'NAME (its @production version), NAME@ALIAS or NAME:VERSION')
      .argument('<dir>', 'a new or empty directory'),
  ).action((ref: string, dir: string, o: RegistryOptions) =>
    withRegistry(o, async (r) => {
      const v = await resolveRef(r, ref);
      const files = await r.files(v.name, v.version);
      const { writeModelDir } = await import('../adapters/model-files/index.ts');
      await writeModelDir(dir, files);
      note(`exported ${v.name} version ${v.version} (${files.size} files) to ${dir}`);
    }),
  );

  withRegistryOptions(
    models
      .command('import')
      .description('register a model directory (holding model.json) as a new version; prints the version')
      .argument('<dir>', 'the model directory')
      .option('--name <name>', "the model to register it as (default and required match: model.json's name)")
      .option('--alias <alias>', `also point this alias at the new version (e.g. ${PRODUCTION_ALIAS})`),
  ).action((dir: string, o: RegistryOptions & { name?: string; alias?: string }) =>
    withRegistry(o, async (r) => {
      if (o.alias !== undefined) checkAlias(o.alias, '--alias');
      const { readModelDir } = await import('../adapters/model-files/index.ts');
      const { spec, files } = await readModelDir(dir);
      const name = o.name ?? spec.name;
      if (name !== spec.name) {
        throw new VigilError(
          'VIGIL_ERR_BAD_MODEL',
          `${resolve(dir)}/${MODEL_FILE}: names model "${spec.name}", not "${name}" (edit its name to register it under another)`,
        );
      }
      const v = await r.createVersion(name, files, { tags: { source: 'vigil models import' } });
      if (o.alias !== undefined) await r.setAlias(name, o.alias, v.version);
      out(v.version);
      note(`registered ${name} version ${v.version}${o.alias === undefined ? '' : ` as @${o.alias}`}`);
    }),
  );
}
