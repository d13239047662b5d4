/**
 * Loads the configuration: schema defaults ← JSON file ← environment ← flags, then validates and
 * freezes it. Errors name the key path, e.g. `http.port: must be <= 65535`.
 */
import { readFileSync } from 'node:fs';
import Value from 'typebox/value';
import { checkRuleList } from '../core/alerting/rule.ts';
import { builtinDetectors } from '../core/detectors/index.ts';
import { isVigilError, VigilError } from '../core/errors.ts';
import { parseJsonExact } from '../core/json-exact.ts';
import { pipelinesOf } from '../core/pipeline/pipelines.ts';
import { resampleProblem } from '../core/resample.ts';
import { defaultSeriesConfig } from '../core/series-config.ts';
import { notifierProblems } from './notifiers.ts';
import { type Config, ConfigSchema } from './schema.ts';

/** Environment variables and the config key each sets. Values are parsed as JSON where possible. */
export const ENV_KEYS: Record<string, string> = {
  VIGIL_DATA_DIR: 'dataDir',
  VIGIL_LOG_LEVEL: 'logLevel',
  VIGIL_HOST: 'http.host',
  VIGIL_PORT: 'http.port',
  VIGIL_AUTH_MODE: 'auth.mode',
  VIGIL_DETECTOR: 'engine.detector',
  VIGIL_THRESHOLD: 'engine.threshold',
  VIGIL_ENGINE_THREADS: 'engine.threads',
  VIGIL_KAFKA_BROKERS: 'kafka.brokers',
  VIGIL_PG_URL: 'postgres.url',
  VIGIL_PG_REPLICA_URL: 'postgres.replicaUrl',
  VIGIL_REDIS_NODES: 'redis.nodes',
  VIGIL_INFLUX_URL: 'influx.url',
  VIGIL_INFLUX_TOKEN: 'influx.token',
  VIGIL_MODEL_REGISTRY: 'models.registry',
  VIGIL_MLFLOW_URL: 'models.mlflowUrl',
  MODEL_PATH: 'models.path',
};

type Tree = Record<string, unknown>;

function setPath(tree: Tree, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = tree;
  for (const p of parts.slice(0, -1)) {
    if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
    node = node[p] as Tree;
  }
  node[parts[parts.length - 1]!] = value;
}

function parseScalar(raw: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  if (raw === 'true' || raw === 'false') return raw === 'true';
  return raw;
}

export interface ConfigSources {
  file?: string;
  env?: Record<string, string | undefined>;
  /** Already dotted key paths, e.g. { 'http.port': 9000 }. */
  overrides?: Record<string, unknown>;
}

export function loadConfig(sources: ConfigSources = {}): Readonly<Config> {
  const tree: Tree = {};
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (err) {
      throw new VigilError('VIGIL_ERR_CONFIG', `cannot read config file ${sources.file}`, { cause: err });
    }
    try {
      Object.assign(tree, parseJsonExact(text));
    } catch (err) {
      throw new VigilError('VIGIL_ERR_CONFIG', `config file ${sources.file} is not valid JSON`, {
        cause: err,
      });
    }
  }
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const raw = sources.env?.[name];
    if (raw !== undefined && raw !== '') setPath(tree, path, parseScalar(raw));
  }
  for (const [path, value] of Object.entries(sources.overrides ?? {})) {
    if (value !== undefined) setPath(tree, path, value);
  }
  return validateConfig(tree);
}

export function validateConfig(input: unknown): Readonly<Config> {
  const withDefaults = Value.Default(ConfigSchema, structuredClone(input ?? {}));
  const errors = [...Value.Errors(ConfigSchema, withDefaults)];
  if (errors.length > 0) {
    const lines = errors
      .filter((e) => e.keyword !== 'boolean')
      .map((e) => {
        let path = e.instancePath.replace(/^\//, '').replaceAll('/', '.');
        const extra = (e.params as { additionalProperties?: string[] }).additionalProperties;
        if (extra !== undefined) return `${path ? `${path}.` : ''}${extra.join(', ')}: unknown key`;
        if (path === '') path = '(root)';
        return `${path}: ${e.message}`;
      });
    throw new VigilError('VIGIL_ERR_CONFIG', `invalid configuration:\n  ${[...new Set(lines)].join('\n  ')}`);
  }
  const config = withDefaults as Config;
  if (config.auth.mode === 'loopback' && !isLoopback(config.http.host)) {
    throw new VigilError(
      'VIGIL_ERR_CONFIG',
      `invalid configuration:\n  http.host: ${config.http.host} is not a loopback address, and every route would be served without authentication to whoever reaches it; bind 127.0.0.1, set auth.mode to "keys" (API keys, see docs/security.md), or set it to "none" (env VIGIL_AUTH_MODE=none) to do it on purpose`,
    );
  }
  const resample = config.engine.resample;
  const problem = resample && resampleProblem(resample, config.engine.allowedLatenessMs);
  if (problem) throw new VigilError('VIGIL_ERR_CONFIG', `invalid configuration:\n  engine.${problem}`);
  checkPipeline(config);
  const notifiers = notifierProblems(config.alerting.notifiers);
  if (notifiers.length > 0) {
    throw new VigilError('VIGIL_ERR_CONFIG', `invalid configuration:\n  ${notifiers.join('\n  ')}`);
  }
  checkAlertRules(config);
  return deepFreeze(config);
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and localhost: addresses only this machine reaches. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * The default pipeline checked whole: every stage's name and params against its registered
 * schema, so a bad detector or param stops the process here rather than on the engine thread.
 */
function checkPipeline(config: Config): void {
  try {
    defaultSeriesConfig(pipelinesOf(builtinDetectors()), config.engine);
  } catch (err) {
    if (!isVigilError(err)) throw err;
    throw new VigilError('VIGIL_ERR_CONFIG', `invalid configuration:\n  ${err.message}`, { cause: err });
  }
}

/** Config-file alert rules: selectors and templates parse, names are unique. */
function checkAlertRules(config: Config): void {
  try {
    checkRuleList(config.alerting.rules, Object.keys(config.alerting.notifiers));
  } catch (err) {
    if (!isVigilError(err)) throw err;
    throw new VigilError('VIGIL_ERR_CONFIG', `invalid configuration:\n  ${err.message}`, { cause: err });
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
