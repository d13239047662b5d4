/**
 * `vigil keys create|list|revoke`: API keys on the configured store, the embedded data dir's
 * `keys.db` or, with `--store postgres`, the PostgreSQL of the scaled-out roles (the same table
 * every `vigil api` reads). Works while the server runs; a revocation reaches every server within
 * `auth.keyCacheMs`. `create` prints the key on stdout, once: only its hash is stored.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { parseExpiry, parseScopes } from '../core/api-key.ts';
import type { ApiKeyStore } from '../ports/api-key-store.ts';
import type { AuditLog } from '../ports/audit-log.ts';

interface StoreOptions {
  config?: string;
  dataDir?: string;
  store?: string;
}

function withStoreOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON config file (see docs/configuration.md)')
    .option('-d, --data-dir <dir>', 'embedded: data directory [env VIGIL_DATA_DIR] (default ./.vigil)')
    .option(
      '--store <kind>',
      'embedded (the data dir) or postgres (postgres.url, env VIGIL_PG_URL)',
      'embedded',
    );
}

async function openStore(
  o: StoreOptions,
): Promise<{ store: ApiKeyStore; audit: AuditLog; config: Readonly<Config> }> {
  const config = loadConfig({
    ...(o.config !== undefined ? { file: o.config } : {}),
    env: process.env,
    overrides: { dataDir: o.dataDir },
  });
  if (o.store === 'postgres') {
    // Loaded only here: the command line must not load the PostgreSQL client for other commands.
    const { PgApiKeyStore, PgAuditLog, PgPools, migrate } = await import('../adapters/postgres/index.ts');
    const pools = new PgPools({ ...config.postgres, poolSize: 1 });
    try {
      await migrate(pools);
    } catch (err) {
      await pools.close();
      throw err;
    }
    // The audit log shares the key store's pools, which the store closes.
    return { store: new PgApiKeyStore(pools, { owned: true }), audit: new PgAuditLog(pools), config };
  }
  if (o.store !== 'embedded') throw new Error(`--store must be embedded or postgres, not ${o.store}`);
  const { openSqliteApiKeys, openSqliteAudit } = await import('../adapters/sqlite/index.ts');
  const dataDir = resolve(config.dataDir);
  return { store: openSqliteApiKeys({ dataDir }), audit: openSqliteAudit({ dataDir }), config };
}

/** Records what the command changed in the audit log, as `cli:<user>` of this host. */
type Audit = (tenant: string, action: string, target: unknown, detail?: unknown) => Promise<void>;

async function withKeys<T>(
  o: StoreOptions,
  fn: (keys: import('../app/api-keys.ts').ApiKeys, audit: Audit) => Promise<T>,
) {
  const [{ ApiKeys }, { redacted }, { userInfo }] = await Promise.all([
    import('../app/api-keys.ts'),
    import('../core/audit.ts'),
    import('node:os'),
  ]);
  const { store, audit, config } = await openStore(o);
  const record: Audit = (tenant, action, target, detail) =>
    audit.record({
      ts: Date.now(),
      tenant,
      actor: `cli:${userInfo().username}`,
      action,
      target: redacted(target),
      detail: redacted(detail),
      status: 0,
      remote: '',
    });
  try {
    return await fn(new ApiKeys(store, { cacheMs: config.auth.keyCacheMs }), record);
  } finally {
    await audit.close();
    await store.close();
  }
}

const date = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description('create, list and revoke API keys (auth.mode keys; docs/security.md)');

  withStoreOptions(
    keys
      .command('create')
      .description('create a key and print it once on stdout (only its salted hash is stored)')
      .requiredOption('--scopes <list>', 'comma-separated: ingest, read, configure, admin')
      .option('--tenant <name>', 'tenant the key acts for', 'default')
      .option('--expires <when>', 'a duration (90d, 12h, 2w) or an RFC 3339 date; default never')
      .option('--name <text>', 'what the key is for, shown by list'),
  ).action(async (o: StoreOptions & { scopes: string; tenant: string; expires?: string; name?: string }) => {
    const scopes = parseScopes(o.scopes);
    const expiresMs = o.expires === undefined ? undefined : parseExpiry(o.expires, Date.now());
    await withKeys(o, async (k, audit) => {
      const { key, info } = await k.create({
        tenant: o.tenant,
        scopes,
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(expiresMs !== undefined ? { expiresMs } : {}),
      });
      await audit(info.tenant, 'keys.create', { id: info.id }, info);
      process.stdout.write(`${key}\n`);
      process.stderr.write(
        `vigil: created key ${info.id} (tenant ${info.tenant}, scopes ${info.scopes.join(',')}, expires ${date(info.expiresMs)}); it is shown only this once\n`,
      );
    });
  });

  withStoreOptions(
    keys.command('list').description('list keys: id, tenant, scopes, created, expires, revoked, name'),
  ).action(async (o: StoreOptions) => {
    await withKeys(o, async (k) => {
      for (const i of await k.list()) {
        process.stdout.write(
          `${[i.id, i.tenant, i.scopes.join(','), date(i.createdMs), date(i.expiresMs), date(i.revokedMs), i.name].join('\t')}\n`,
        );
      }
    });
  });

  withStoreOptions(
    keys
      .command('revoke')
      .description('revoke a key by id; every server refuses it within auth.keyCacheMs')
      .argument('<id>', 'the key id (the 16 hex characters after vgl_)'),
  ).action(async (id: string, o: StoreOptions) => {
    await withKeys(o, async (k, audit) => {
      const info = (await k.list()).find((i) => i.id === id);
      if (info === undefined || !(await k.revoke(id))) throw new Error(`no API key ${id}`);
      await audit(info.tenant, 'keys.revoke', { id });
      process.stderr.write(`vigil: revoked key ${id}\n`);
    });
  });
}
