/**
 * The one configuration schema. Every default is declared here once; unknown keys are rejected;
 * the TypeScript type is derived from the schema. docs/configuration.md documents each key.
 */
import Type, { type Static } from 'typebox';
import Value from 'typebox/value';
import { type PipelineDeclaration, PipelineDeclarationSchema } from '../core/pipeline/declaration.ts';
import { resampleSchema } from '../core/resample.ts';
import { AlertingRulesKeys } from './alerting-rules.ts';
import { NotifierKeys } from './notifiers.ts';

const Http = Type.Object(
  {
    host: Type.String({
      default: '127.0.0.1',
      description:
        'listen address; anything but loopback (127.0.0.0/8, ::1, localhost) needs auth.mode keys (or none, on purpose)',
    }),
    port: Type.Integer({
      minimum: 0,
      maximum: 65535,
      default: 8080,
      description: 'listen port (0 = any free)',
    }),
    bodyLimitBytes: Type.Integer({
      minimum: 1024,
      default: 16 * 1024 * 1024,
      description: 'largest accepted request body after decompression (413 above)',
    }),
    tls: Type.Optional(
      Type.Object(
        {
          certFile: Type.String({ description: 'PEM certificate chain (server certificate first)' }),
          keyFile: Type.String({ description: 'PEM private key of the certificate' }),
        },
        {
          additionalProperties: false,
          description: 'serve HTTPS from these files (read at start; restart to rotate); absent: plain HTTP',
        },
      ),
    ),
    trustProxy: Type.Array(Type.String(), {
      default: [],
      description:
        'addresses or CIDR ranges of the load balancers in front (e.g. ["10.0.0.0/8"]) whose X-Forwarded-For names the client: the address failed authentications are counted against. Empty: the TCP peer, so every client behind a balancer shares one count. With auth.mode none, also the authenticating proxies whose X-Scope-OrgID header names the tenant (refused with 403 from any other peer)',
    }),
    queryTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10_000,
      description:
        'how long one query may run (selector matching, reads) before it answers 503; a query whose client disconnects stops too',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Auth = Type.Object(
  {
    mode: Type.Union([Type.Literal('loopback'), Type.Literal('none'), Type.Literal('keys')], {
      default: 'loopback',
      description:
        'loopback: serve anonymously, and only on a loopback http.host (vigil refuses to start otherwise); keys: every route but /healthz, /readyz, /docs and the web UI’s page and assets (/, /ui/*) needs an API key with the route’s scope (`vigil keys create`), on any http.host; none: serve anonymously on any address, on purpose (behind a proxy that authenticates, or a trusted network). Env VIGIL_AUTH_MODE. docs/security.md',
    }),
    keyCacheMs: Type.Integer({
      minimum: 0,
      maximum: 5000,
      default: 2000,
      description:
        'how long a process trusts a key it verified before looking it up again; bounds how long a revoked key still works on a replica',
    }),
    maxFailures: Type.Integer({
      minimum: 1,
      default: 20,
      description:
        'failed authentications (a wrong, unknown, expired or revoked key) from one client address per window, after which it gets 429 for one window (counted in memory embedded, Redis scaled out)',
    }),
    failureWindowSeconds: Type.Integer({
      minimum: 1,
      default: 60,
      description: 'the window of auth.maxFailures',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Ingest = Type.Object(
  {
    maxPointsPerRequest: Type.Integer({ minimum: 1, default: 100_000, description: '413 above' }),
    maxSeries: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'distinct series accepted; a request that would create more is refused (422). Unset: as many as 70 % of ingest.memoryBudgetBytes holds at the default detector\'s measured cost per series (vigil 192 KB, fast 16 KB, others 64 KB; bench/README.md "Cost per series"); vigil serve logs the figure at start',
      }),
    ),
    memoryBudgetBytes: Type.Optional(
      Type.Integer({
        minimum: 64 * 1024 * 1024,
        description:
          "resident memory the process may use; ingest answers 503 (VIGIL_ERR_MEMORY_PRESSURE, Retry-After) once the resident set passes 90 % of it, instead of accepting work it cannot hold. Unset: 60 % of physical memory or of the container's cgroup limit",
      }),
    ),
    maxTagsPerSeries: Type.Integer({ minimum: 0, default: 32 }),
    maxNameLength: Type.Integer({ minimum: 1, default: 256, description: 'metric and tag names' }),
    maxTagValueLength: Type.Integer({ minimum: 1, default: 1024 }),
    maxLagPoints: Type.Integer({
      minimum: 1,
      default: 2_000_000,
      description: 'accepted-but-unscored points above which ingest answers 503 with Retry-After',
    }),
    retryAfterSeconds: Type.Integer({ minimum: 1, default: 1 }),
    rateLimitRequestsPerSecond: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'ingest requests per second accepted across all API servers (counted in Redis scaled out, in memory embedded); above it 429 with Retry-After; 0 = no limit',
    }),
    idempotencyTtlMs: Type.Integer({
      minimum: 1000,
      default: 600_000,
      description:
        'how long a request’s Idempotency-Key is remembered (memory embedded, Redis scaled out); a retry within it is skipped',
    }),
  },
  { additionalProperties: false, default: {} },
);

const TenantLimits = Type.Object(
  {
    ingestPointsPerSecond: Type.Optional(
      Type.Number({
        minimum: 0,
        description:
          'points per second a tenant may ingest (token bucket); above it 429 with Retry-After; 0 = no limit',
      }),
    ),
    ingestBurstPoints: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'points a tenant may send at once above its rate (the bucket size); 0 = one second of the rate',
      }),
    ),
    maxSeries: Type.Optional(
      Type.Integer({ minimum: 1, description: 'series this tenant may have (422 above)' }),
    ),
    bodyLimitBytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        description: 'largest request body this tenant may send, as received (413 above)',
      }),
    ),
    queryMaxPoints: Type.Optional(
      Type.Integer({ minimum: 1, description: 'points one query of this tenant may read (422 above)' }),
    ),
    queryMaxRangeMs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'longest from..to of one points query (422 above); 0 = any' }),
    ),
    queryTimeoutMs: Type.Optional(
      Type.Integer({ minimum: 100, description: "this tenant's query time budget (503 past it)" }),
    ),
    maxAlertRules: Type.Optional(
      Type.Integer({ minimum: 0, description: 'alert rules this tenant may store (422 above)' }),
    ),
    maxSilences: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'silences this tenant may have in force or to come (422 above)',
      }),
    ),
    retentionMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: "how long the tenant's scored points and closed anomalies are kept; 0 = forever",
      }),
    ),
  },
  { additionalProperties: false },
);

/** 30 days: see docs/security.md, Retention and deletion. */
const DEFAULT_RETENTION_MS = 30 * 24 * 3_600_000;

/**
 * Limits are data, per tenant, with defaults (STYLE 18): `limits.<key>` holds the default, and
 * `limits.tenants.<name>.<key>` overrides it for one tenant.
 */
const Limits = Type.Object(
  {
    ingestPointsPerSecond: Type.Number({
      minimum: 0,
      default: 0,
      description:
        'points per second each tenant may ingest, a token bucket shared by every API server (Redis scaled out, memory embedded); above it 429 with Retry-After; 0 = no limit',
    }),
    ingestBurstPoints: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'bucket size: points a tenant may send at once above its rate; 0 = one second of the rate',
    }),
    maxSeries: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'series each tenant may have; a request that would create more is refused (422, VIGIL_ERR_SERIES_LIMIT). Unset: only the deployment-wide ingest.maxSeries applies',
      }),
    ),
    bodyLimitBytes: Type.Optional(
      Type.Integer({
        minimum: 1024,
        description:
          'largest request body each tenant may send, counted as received (compressed bodies by their compressed size); 413 above. Unset: http.bodyLimitBytes alone (which also caps the decompressed size for everyone)',
      }),
    ),
    queryMaxPoints: Type.Integer({
      minimum: 1,
      default: 5_000_000,
      description:
        'points one query may read from the store (GET /api/v1/points before downsampling); 422 above: narrow the range',
    }),
    queryMaxRangeMs: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'longest from..to of one points query (422 above; from and to must then be given); 0 = any',
    }),
    queryTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 100,
        description: "a tenant's query time budget (503 past it). Unset: http.queryTimeoutMs",
      }),
    ),
    maxAlertRules: Type.Integer({
      minimum: 0,
      default: 1000,
      description:
        'alert rules each tenant may store through the API (422 VIGIL_ERR_OBJECT_LIMIT above; the config file’s rules do not count)',
    }),
    maxSilences: Type.Integer({
      minimum: 0,
      default: 1000,
      description: 'silences each tenant may have in force or to come (422 VIGIL_ERR_OBJECT_LIMIT above)',
    }),
    retentionMs: Type.Integer({
      minimum: 0,
      default: DEFAULT_RETENTION_MS,
      description:
        "how long each tenant's scored points and closed anomalies are kept, by their timestamps against the clock: older chunks (scaled out: points in InfluxDB) are dropped by the retention sweep (storage.retentionSweepMs); 0 = forever. Default 30 days",
    }),
    tenants: Type.Record(Type.String(), TenantLimits, {
      default: {},
      description: 'per-tenant overrides of the keys above, e.g. {"acme": {"ingestPointsPerSecond": 50000}}',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Engine = Type.Object(
  {
    pipeline: Type.Optional(
      Type.Unsafe<PipelineDeclaration>({
        ...PipelineDeclarationSchema,
        description:
          'the pipeline of series without an override: detector → calibration → threshold → post-rules (docs/detectors.md, Pipelines); when set, detector is not used and params or threshold are refused',
      }),
    ),
    detector: Type.String({
      default: 'default',
      description:
        'shorthand for the pipeline: a preset (default = vigil, fast) or a selectable detector, with its default pipeline',
    }),
    params: Type.Record(Type.String(), Type.Unknown(), {
      default: {},
      description: "shorthand: params of the pipeline's detector, over its defaults",
    }),
    threshold: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          "shorthand: calibrated score ≥ threshold is anomalous; unset: the pipeline's own (vigil 0.5, fast 0.5, detectors 0.5)",
      }),
    ),
    resample: Type.Optional(
      resampleSchema(
        'score every series resampled to fixed buckets (unset: every point); per-series configs may override',
      ),
    ),
    allowedLatenessMs: Type.Integer({
      minimum: 0,
      default: 60_000,
      description: 'how far behind its newest point a point of a series may arrive',
    }),
    configPollMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description:
        'how often detectors (scaled out) read per-series configs, feedback label changes and maintenance windows set through the API, detectors and API servers read deleted series (a deletion reaches every process within it), and `vigil serve` checks maintenance windows against new series',
    }),
    checkpointIntervalMs: Type.Integer({
      minimum: 10,
      default: 5000,
      description:
        'how often scores, anomalies and detector state are committed with the log offset; bounds replay after a crash',
    }),
    flushPoints: Type.Integer({
      minimum: 0,
      default: 100_000,
      description:
        'embedded: scored points held in memory that make the engine write them to store.db ahead of the next checkpoint (series with at least 16 pending points), so the disk sees small writes instead of one burst per checkpoint; 0: only at checkpoints',
    }),
    threads: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description:
          'embedded: engine threads, the series sharded over them by id, each with its own store (store.db, store-<k>.db); unset: the available cores minus one, at least 1. Fixed when the data dir is made: a later start keeps its count (and logs when this differs)',
      }),
    ),
  },
  { additionalProperties: false, default: {} },
);

const Storage = Type.Object(
  {
    synchronous: Type.Union([Type.Literal('full'), Type.Literal('normal')], {
      default: 'full',
      description:
        'SQLite synchronous mode of the ingest log and the notification outbox: full survives power loss, normal only a crash',
    }),
    retentionSweepMs: Type.Integer({
      minimum: 0,
      default: 3_600_000,
      description:
        'how often the retention sweep (limits.retentionMs) runs (scaled out: by one vigil api per interval); the first runs this long after the start, or 10 minutes if sooner; 0 = never',
    }),
  },
  { additionalProperties: false, default: {} },
);

// --- Scaled-out roles (`vigil api|processor|detector`); `vigil serve` ignores these sections. ---

const Kafka = Type.Object(
  {
    brokers: Type.String({
      default: '127.0.0.1:9092',
      description: 'comma-separated bootstrap brokers (env VIGIL_KAFKA_BROKERS)',
    }),
    clientId: Type.String({ default: 'vigil' }),
    topicPrefix: Type.String({
      default: 'vigil',
      description: 'topics are <prefix>.ingest, <prefix>.points and <prefix>.anomalies',
    }),
    partitions: Type.Integer({
      minimum: 1,
      default: 12,
      description:
        'partitions of each topic when Vigil creates it; the unit of parallelism of processors and detectors',
    }),
    replicationFactor: Type.Integer({ minimum: 1, default: 3 }),
    minInsyncReplicas: Type.Integer({ minimum: 1, default: 2 }),
    lingerMs: Type.Integer({ minimum: 0, default: 2, description: 'producer batching delay' }),
    maxWaitMs: Type.Integer({
      minimum: 1,
      default: 10,
      description:
        'how long a fetch waits at the broker for data (data ends the wait at once; bounds how long a newly ready partition waits and how often idle ones poll)',
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 1,
      default: 5_000,
      description: "bound on one request's round trip before it counts as failed (above maxWaitMs)",
    }),
    unavailableAfterMs: Type.Integer({
      minimum: 1,
      default: 15_000,
      description:
        'how long a send keeps retrying (leader moves, a broker restarting) before VIGIL_ERR_UNAVAILABLE',
    }),
    sessionTimeoutMs: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: 'consumer group session: a member that stops heartbeating loses its partitions after this',
    }),
    heartbeatIntervalMs: Type.Integer({
      minimum: 1,
      default: 1_000,
      description: 'consumer group heartbeat',
    }),
    rebalanceTimeoutMs: Type.Integer({
      minimum: 1,
      default: 30_000,
      description:
        "how long a rebalance waits for members to rejoin; a member's revoke (its checkpoint) must finish within it",
    }),
    maxBytesPerPartition: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'largest amount of data one fetch returns per partition',
    }),
    fetchMinBytes: Type.Integer({
      minimum: 1,
      default: 65_536,
      description:
        "data a group member's fetch waits for at the broker, at most maxWaitMs: a busy topic is read in fewer, bigger fetches (1: every fetch returns at the first record, as before 2026-12; bench/README.md, Kafka)",
    }),
  },
  { additionalProperties: false, default: {} },
);

const Postgres = Type.Object(
  {
    url: Type.String({
      default: 'postgres://vigil@127.0.0.1:5432/vigil',
      description: 'primary (env VIGIL_PG_URL)',
    }),
    replicaUrl: Type.Optional(
      Type.String({
        description: 'streaming replica for reads that tolerate lag (env VIGIL_PG_REPLICA_URL)',
      }),
    ),
    poolSize: Type.Integer({
      minimum: 1,
      default: 10,
      description: 'connections per pool (primary and replica each)',
    }),
    schema: Type.Optional(
      Type.String({
        pattern: '^[a-z_][a-z0-9_]{0,62}$',
        description: 'schema of the tables (created when missing); default: the role’s search path (public)',
      }),
    ),
    connectTimeoutMs: Type.Integer({
      minimum: 1,
      default: 5_000,
      description: 'bound on opening a connection or waiting for a free one in the pool',
    }),
    statementTimeoutMs: Type.Integer({
      minimum: 1,
      default: 30_000,
      description: 'server-side bound on one statement (statement_timeout)',
    }),
    replicaRetryMs: Type.Integer({
      minimum: 1,
      default: 5_000,
      description: 'after a replica connection fails, reads go to the primary for this long',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Redis = Type.Object(
  {
    nodes: Type.String({
      default: '127.0.0.1:6379',
      description: 'comma-separated Redis Cluster seed nodes (env VIGIL_REDIS_NODES)',
    }),
    keyPrefix: Type.String({
      default: 'vigil:',
      description:
        'prepended to every key; must not contain { or } (a hash tag would put every key in one slot)',
    }),
    checkpointStates: Type.Boolean({
      default: false,
      description:
        'scaled out: keep detector state and the offset it reflects in Redis instead of PostgreSQL (scores still go to InfluxDB, anomalies to PostgreSQL)',
    }),
    unavailableAfterMs: Type.Integer({
      minimum: 1,
      default: 10_000,
      description:
        'how long one operation keeps retrying through connection loss, CLUSTERDOWN and failover before VIGIL_ERR_UNAVAILABLE (set above cluster-node-timeout plus an election)',
    }),
    commandTimeoutMs: Type.Integer({
      minimum: 1,
      default: 2_000,
      description: "bound on one command's round trip to one node before it counts as lost",
    }),
  },
  { additionalProperties: false, default: {} },
);

const Influx = Type.Object(
  {
    url: Type.String({ default: 'http://127.0.0.1:8086', description: 'env VIGIL_INFLUX_URL' }),
    database: Type.String({
      default: 'vigil',
      description: 'database (1.x), bucket mapped by DBRP (2.x) or database (3.x) of points and scores',
    }),
    retentionPolicy: Type.Optional(
      Type.String({
        description: "retention policy to write to and read from; default: the database's default",
      }),
    ),
    token: Type.Optional(Type.String({ description: 'InfluxDB 2.x/3.x token (env VIGIL_INFLUX_TOKEN)' })),
    username: Type.Optional(
      Type.String({ description: '1.x user (HTTP basic auth) when the server has auth-enabled' }),
    ),
    password: Type.Optional(Type.String({ description: '1.x password, with username' })),
    org: Type.Optional(
      Type.String({
        description: '2.x organization, needed only to create the bucket when it does not exist yet',
      }),
    ),
    timeoutMs: Type.Integer({
      minimum: 1,
      default: 30_000,
      description: 'bound on one HTTP request, connect to last byte, before it counts as lost',
    }),
    linesPerRequest: Type.Integer({
      minimum: 1,
      default: 5_000,
      description: 'lines per /write request; a bigger write is split',
    }),
    pageSize: Type.Integer({
      minimum: 1,
      default: 10_000,
      description: 'rows per /query page when reading a range (below any server max-row-limit)',
    }),
    layout: Type.Union([Type.Literal('compact'), Type.Literal('fields')], {
      default: 'compact',
      description:
        'fields of a scored point: compact = value, score and one string field band (flags and band), ' +
        'about 2x the points/s InfluxDB stores; fields = the 7 fields before 2026-12 (value, score, ' +
        'anomalous, expected, lower, upper, missing). Reads take both (docs/integrations.md)',
    }),
  },
  { additionalProperties: false, default: {} },
);

const Alerting = Type.Object(
  { ...AlertingRulesKeys, ...NotifierKeys },
  { additionalProperties: false, default: {} },
);

const Models = Type.Object(
  {
    registry: Type.Union([Type.Literal('files'), Type.Literal('mlflow')], {
      default: 'files',
      description:
        'where models are registered and tracked: "files" (a registry under <dataDir>/models, embedded) or "mlflow" (an MLflow tracking server at models.mlflowUrl; env VIGIL_MODEL_REGISTRY)',
    }),
    mlflowUrl: Type.String({
      default: 'http://127.0.0.1:5000',
      description: 'the MLflow tracking server (REST API under /api/2.0; env VIGIL_MLFLOW_URL)',
    }),
    experiment: Type.String({
      minLength: 1,
      default: 'vigil',
      description:
        'the MLflow experiment (or files-registry experiment) that training and live metrics log to',
    }),
    serve: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'models whose @production version detectors load and apply to the series their selectors match (empty: every registered model)',
    }),
    path: Type.Optional(
      Type.String({
        description:
          'an exported model directory (holding model.json) to load at start instead of the registry, never reloaded (env MODEL_PATH)',
      }),
    ),
    pollMs: Type.Integer({
      minimum: 100,
      default: 5000,
      description:
        'how often detectors check the @production alias of each served model (hot reload within this plus the load)',
    }),
    liveMetricsMs: Type.Integer({
      minimum: 1000,
      default: 60_000,
      description:
        'how often detectors log live metrics per model version (anomaly rate, feedback precision) to the registry',
    }),
    warmStartPoints: Type.Integer({
      minimum: 0,
      default: 10_000,
      description:
        'a series that gets a new pipeline (model version, config change, or at start a default pipeline other than the one its saved state was written under) is primed from up to this many of its newest stored points (after a config change before it scores new ones; at start once the server is up, in the background); 0: no warm start',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    dataDir: Type.String({ default: './.vigil', description: 'where the SQLite files live' }),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
      { default: 'info' },
    ),
    http: Http,
    auth: Auth,
    ingest: Ingest,
    limits: Limits,
    engine: Engine,
    storage: Storage,
    kafka: Kafka,
    postgres: Postgres,
    redis: Redis,
    influx: Influx,
    alerting: Alerting,
    models: Models,
  },
  { additionalProperties: false },
);

export type Config = Static<typeof ConfigSchema>;

/** The sections an adapter reads (each adapter takes its own; see src/adapters/<system>/config.ts). */
export type Section = 'http' | 'ingest' | 'engine' | 'storage' | 'kafka' | 'postgres' | 'redis' | 'influx';

/**
 * A section's defaults, exactly as validateConfig fills them in: an adapter given a partial
 * section (tests, tools) completes it from here, so no default is declared twice.
 */
export function sectionDefaults<S extends Section>(section: S): Config[S] {
  return Value.Default(ConfigSchema.properties[section], {}) as Config[S];
}

/** A comma-separated config value (kafka.brokers, redis.nodes) as a list. */
export const listOf = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

/** `given` over the section's defaults; keys set to undefined keep their default. */
export function withDefaults<S extends Section, T extends Partial<Config[S]>>(
  section: S,
  given: T,
): Config[S] & T {
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...sectionDefaults(section), ...defined } as Config[S] & T;
}
