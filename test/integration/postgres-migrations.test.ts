/**
 * The PostgreSQL migrator: roles starting at once on an empty schema race for it; exactly one
 * applies each step, the others wait and find nothing to do, and a later start changes nothing.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, PgPools } from '../../src/adapters/postgres/index.ts';
import { STEPS } from '../../src/adapters/postgres/migrations.ts';
import { service } from '../support/services.ts';

const schema = `t_${randomBytes(4).toString('hex')}`;
let url = '';

beforeAll(() => {
  url = service('postgres').VIGIL_PG_URL!;
});

afterAll(async () => {
  if (url === '') return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
});

describe('postgres migrations', () => {
  it('several roles migrating one empty schema at once apply each step exactly once', async () => {
    const roles = Array.from({ length: 4 }, () => new PgPools({ url, schema, poolSize: 1 }));
    try {
      const results = await Promise.all(roles.map((pools) => migrate(pools)));
      const all = STEPS.map((s) => s.version);
      expect(results.map((r) => r.applied).sort((a, b) => b.length - a.length)).toEqual([all, [], [], []]);
      expect(await migrate(roles[0]!)).toEqual({ applied: [] });
      const rows = await roles[0]!.primary(
        'list migrations',
        'SELECT version FROM vigil_schema_migrations ORDER BY version',
      );
      expect(rows.map((r) => r.version)).toEqual(all);
      // The tables landed in the configured schema, not in public.
      const tables = await roles[0]!.primary(
        'list tables',
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      );
      expect(tables.map((r) => r.table_name)).toEqual([
        'alert_rules',
        'alerter_state',
        'anomalies',
        'api_keys',
        'audit_log',
        'checkpoint_offsets',
        'checkpoint_states',
        'deleted_series',
        'feedback',
        'feedback_series',
        'incidents',
        'notification_attempts',
        'notification_outbox',
        'series',
        'series_config',
        'silences',
        'vigil_schema_migrations',
        'vigil_sweeps',
      ]);
    } finally {
      for (const pools of roles) await pools.close();
    }
  });

  it('rejects a schema name that would need quoting', () => {
    expect(() => new PgPools({ url, schema: 'Bad-Name' })).toThrow(/postgres.schema/);
  });
});
