/**
 * The schema, as ordered steps. `migrate` applies the steps a database has not seen yet, each
 * recorded in `vigil_schema_migrations`, all in one transaction under a transaction-level advisory
 * lock: several roles starting at once queue on the lock, the first applies the steps, the others
 * then find nothing to do. Idempotent. A step, once released, MUST NOT change: add a new one.
 *
 * Types: epoch milliseconds and offsets are `bigint` (pg returns them as strings; the adapter
 * parses them: exact below 2^53), scores and values `double precision` (exact round trip), tags
 * and detector params `jsonb`. Reserved words are avoided: `start_ms`/`end_ms`, `log_offset`.
 */
import type { PgPools, Query } from './pools.ts';

interface Step {
  version: number;
  name: string;
  sql: string;
}

export const STEPS: readonly Step[] = [
  {
    version: 1,
    name: 'series, configs, anomalies, checkpoints',
    sql: `
CREATE TABLE series (
  id serial PRIMARY KEY,
  key text NOT NULL UNIQUE,
  metric text NOT NULL,
  tags jsonb NOT NULL,
  created_ms bigint NOT NULL
);
CREATE TABLE series_config (
  series_id integer PRIMARY KEY,
  detector text NOT NULL,
  params jsonb NOT NULL,
  threshold double precision NOT NULL
);
CREATE TABLE anomalies (
  series_id integer NOT NULL,
  start_ms bigint NOT NULL,
  end_ms bigint NOT NULL,
  peak_score double precision NOT NULL,
  peak_value double precision NOT NULL,
  peak_expected double precision,
  direction text NOT NULL,
  points integer NOT NULL,
  detector text NOT NULL,
  open boolean NOT NULL,
  PRIMARY KEY (series_id, start_ms)
);
CREATE INDEX anomalies_by_start ON anomalies (start_ms);
CREATE INDEX anomalies_open ON anomalies (start_ms) WHERE open;
CREATE TABLE checkpoint_offsets (
  partition text PRIMARY KEY,
  log_offset bigint NOT NULL
);
CREATE TABLE checkpoint_states (
  series_id integer PRIMARY KEY,
  partition text NOT NULL,
  state text NOT NULL
);
CREATE INDEX checkpoint_states_by_partition ON checkpoint_states (partition);
`,
  },
  {
    version: 2,
    name: 'per-series resampling',
    sql: 'ALTER TABLE series_config ADD COLUMN resample jsonb',
  },
  {
    version: 3,
    name: 'api keys',
    sql: `
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  scopes text NOT NULL,
  name text NOT NULL,
  kdf text NOT NULL,
  hash text NOT NULL,
  created_ms bigint NOT NULL,
  expires_ms bigint,
  revoked_ms bigint
);
`,
  },
  {
    version: 4,
    name: 'per-series pipelines',
    sql: 'ALTER TABLE series_config ADD COLUMN pipeline jsonb',
  },
  {
    version: 5,
    name: 'audit log',
    sql: `
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  ts bigint NOT NULL,
  tenant text NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  target text NOT NULL,
  detail text NOT NULL,
  status integer NOT NULL,
  remote text NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant, ts);
`,
  },
  {
    version: 6,
    name: 'series by tenant',
    // Tenant names hold no quote (core/api-key.ts), and the default tenant's series carry no tag.
    sql: `
ALTER TABLE series ADD COLUMN tenant text GENERATED ALWAYS AS (COALESCE(tags->>'__tenant__', 'default')) STORED;
CREATE INDEX series_by_tenant ON series (tenant);
`,
  },
  {
    version: 7,
    name: 'notification outbox',
    sql: `
CREATE TABLE notification_outbox (
  id bigserial PRIMARY KEY,
  notifier text NOT NULL,
  dedup_key text NOT NULL,
  sequence bigint NOT NULL,
  payload text NOT NULL,
  state text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_ms bigint NOT NULL,
  lease_until_ms bigint NOT NULL DEFAULT 0,
  enqueued_ms bigint NOT NULL,
  updated_ms bigint NOT NULL,
  last_error text,
  UNIQUE (notifier, dedup_key, sequence)
);
CREATE INDEX notification_outbox_due ON notification_outbox (notifier, next_attempt_ms) WHERE state = 'pending';
CREATE TABLE notification_attempts (
  item_id bigint NOT NULL,
  attempt integer NOT NULL,
  at_ms bigint NOT NULL,
  duration_ms integer NOT NULL,
  outcome text NOT NULL,
  status integer,
  error text,
  PRIMARY KEY (item_id, attempt)
);
`,
  },
  {
    version: 8,
    name: 'alert rules, silences, incidents, alerter state',
    sql: `
CREATE TABLE alert_rules (
  tenant text NOT NULL,
  name text NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant, name)
);
CREATE TABLE silences (
  tenant text NOT NULL,
  id text NOT NULL,
  ends_at bigint NOT NULL,
  created_ms bigint NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE incidents (
  tenant text NOT NULL,
  id text NOT NULL,
  status text NOT NULL,
  starts_at bigint NOT NULL,
  doc jsonb NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE INDEX incidents_by_start ON incidents (tenant, starts_at DESC, id);
CREATE TABLE alerter_state (
  k integer PRIMARY KEY CHECK (k = 0),
  doc text NOT NULL
);
`,
  },
  {
    version: 9,
    name: 'deleted series, sweeps',
    // seq orders tombstones as they commit (deletions hold the series lock until commit), so a
    // poller that remembers the last seq it saw misses none. purged_ms: the deleting API finished
    // its InfluxDB delete; the retention sweep finishes those a crash left unpurged.
    sql: `
CREATE TABLE deleted_series (
  seq bigserial PRIMARY KEY,
  id integer NOT NULL UNIQUE,
  key text NOT NULL,
  tenant text NOT NULL,
  deleted_ms bigint NOT NULL,
  purged_ms bigint
);
CREATE INDEX deleted_series_unpurged ON deleted_series (deleted_ms) WHERE purged_ms IS NULL;
CREATE INDEX anomalies_closed_by_end ON anomalies (end_ms) WHERE NOT open;
CREATE TABLE vigil_sweeps (
  name text PRIMARY KEY,
  last_ms bigint NOT NULL
);
`,
  },
  {
    version: 10,
    name: 'feedback',
    // feedback_series.seq: the change number of a series' latest label change, given out under
    // an advisory lock held to commit (feedback-store.ts), so pollers see them in order.
    sql: `
CREATE TABLE feedback (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  series_id integer NOT NULL,
  anomaly_start bigint NOT NULL,
  label text NOT NULL,
  note text NOT NULL,
  actor text NOT NULL,
  created_ms bigint NOT NULL,
  peak_value double precision NOT NULL,
  peak_expected double precision,
  peak_score double precision NOT NULL,
  UNIQUE (series_id, anomaly_start)
);
CREATE INDEX feedback_by_tenant ON feedback (tenant, created_ms DESC, id DESC);
CREATE SEQUENCE feedback_change_seq;
CREATE TABLE feedback_series (
  series_id integer PRIMARY KEY,
  tenant text NOT NULL,
  seq bigint NOT NULL
);
CREATE INDEX feedback_series_by_seq ON feedback_series (seq);
`,
  },
  {
    version: 11,
    name: 'anomaly model',
    // name@version of the served model whose pipeline scored the run (core/models/serving.ts).
    sql: `ALTER TABLE anomalies ADD COLUMN model text;`,
  },
];

/** Brings the schema of `pools` (its `schema`, else the default search path) up to the last step. */
export async function migrate(pools: PgPools): Promise<{ applied: number[] }> {
  return pools.write('migrate', async (query) => {
    // One lock per schema, so test runs in their own schemas do not queue behind each other.
    await query('SELECT pg_advisory_xact_lock(hashtext($1))', [`vigil.migrate:${pools.schema ?? ''}`]);
    if (pools.schema !== undefined) await query(`CREATE SCHEMA IF NOT EXISTS ${pools.schema}`);
    await query(`CREATE TABLE IF NOT EXISTS vigil_schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    return { applied: await applyMissing(query) };
  });
}

async function applyMissing(query: Query): Promise<number[]> {
  const done = new Set(
    (await query('SELECT version FROM vigil_schema_migrations')).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const step of STEPS) {
    if (done.has(step.version)) continue;
    await query(step.sql);
    await query('INSERT INTO vigil_schema_migrations (version, name) VALUES ($1, $2)', [
      step.version,
      step.name,
    ]);
    applied.push(step.version);
  }
  return applied;
}
