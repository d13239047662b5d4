/**
 * A thin client of InfluxDB's v1-compatible HTTP API over `fetch`: `/ping`, `/write` (line
 * protocol) and `/query` (InfluxQL, JSON results), which InfluxDB 1.x, 2.x and 3.x all serve, plus
 * the 2.x bucket calls that creating a database needs there. Writes and queries go to the
 * configured database unless told otherwise; port implementations in this folder get an
 * InfluxClient, never `fetch` itself.
 *
 * Failures: a connection that cannot be made, breaks, or outlasts `timeoutMs`, and a 503, fail with
 * VIGIL_ERR_UNAVAILABLE (retriable: InfluxDB is down or overloaded). Any other answer InfluxDB
 * refuses (4xx, other 5xx, an `error` inside a query result) fails with VIGIL_ERR_STORAGE carrying
 * InfluxDB's own message. The client does not retry: writes are idempotent (the same measurement,
 * tag set and time overwrite), so the caller's retry loop may repeat a whole write safely.
 */
import { VigilError } from '../../core/errors.ts';
import { checkDatabase, type InfluxConfig, parseBaseUrl, resolveInfluxConfig } from './config.ts';
import { quoteIdent } from './influxql.ts';

/** Timestamp units every version accepts in `precision` (write) and `epoch` (query). */
export type Precision = 'ns' | 'ms' | 's';

export interface InfluxVersion {
  /** As the server reports it (`X-Influxdb-Version`), e.g. `1.6.7~rc0`, `v2.7.11`, `3.0.1`; '' when absent. */
  version: string;
  /** 1, 2 or 3; undefined when the server does not say (handled as 1.x). */
  major: number | undefined;
}

/** One series of a statement's result: rows of `values`, each aligned with `columns`. */
export interface QuerySeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** The result of one InfluxQL statement. `partial` is set when the server cut it short (row limit). */
export interface StatementResult {
  series: QuerySeries[];
  partial: boolean;
}

interface RawResults {
  results?: { statement_id?: number; series?: QuerySeries[]; error?: string; partial?: boolean }[];
  error?: string;
}

export class InfluxClient {
  readonly database: string;
  readonly #base: string;
  readonly #config: ReturnType<typeof resolveInfluxConfig>;
  readonly #timeoutMs: number;
  readonly #linesPerRequest: number;
  readonly #auth: string | undefined;

  constructor(given: InfluxConfig) {
    const config = resolveInfluxConfig(given);
    this.#base = parseBaseUrl(config.url);
    this.database = checkDatabase(config.database);
    this.#config = config;
    this.#timeoutMs = config.timeoutMs;
    this.#linesPerRequest = config.linesPerRequest;
    if (config.token !== undefined) this.#auth = `Token ${config.token}`;
    else if (config.username !== undefined) {
      const pair = `${config.username}:${config.password ?? ''}`;
      this.#auth = `Basic ${Buffer.from(pair).toString('base64')}`;
    }
  }

  /** How scored points are laid out in fields (influx.layout, see point-store.ts). */
  get layout(): 'compact' | 'fields' {
    return this.#config.layout;
  }

  /** Rows per `/query` page when reading a range (influx.pageSize). */
  get pageSize(): number {
    return this.#config.pageSize;
  }

  /** The server's version; fails with VIGIL_ERR_UNAVAILABLE when it does not answer. */
  async ping(): Promise<InfluxVersion> {
    const res = await this.#request('GET', '/ping', 'ping');
    let version = res.headers.get('x-influxdb-version') ?? '';
    const body = await res.text();
    if (version === '' && body.startsWith('{')) {
      // 3.x also answers `{"version":"3.0.1",…}`.
      try {
        version = String((JSON.parse(body) as { version?: unknown }).version ?? '');
      } catch {}
    }
    const m = /^v?(\d+)\./.exec(version);
    return { version, major: m === null ? undefined : Number(m[1]) };
  }

  /**
   * Makes sure `db` exists and takes v1 writes, the way the server's version needs:
   * - 1.x: `CREATE DATABASE` unless `SHOW DATABASES` lists it (so a user without admin rights works
   *   against a database an admin created);
   * - 2.x: a bucket named `db` and a DBRP mapping database `db` to it (2.7+ maps every bucket
   *   virtually; older ones need a real mapping); with a token allowed to, both are created;
   *   otherwise it fails with VIGIL_ERR_CONFIG naming what to create;
   * - 3.x: nothing, a database is created by its first write.
   */
  async ensureDatabase(db: string = this.database): Promise<void> {
    const { major, version } = await this.ping();
    if (major !== undefined && major >= 3) return;
    if (major === 2) return this.#ensureBucket(db, version);
    const shown = await this.command('SHOW DATABASES');
    const names = (shown[0]?.series[0]?.values ?? []).map((row) => row[0]);
    if (names.includes(db)) return;
    const res = await this.#send(
      'POST',
      '/query',
      'create database',
      form(`CREATE DATABASE ${quoteIdent(db)}`),
    );
    if (res.status === 401 || res.status === 403) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `InfluxDB ${version}: database "${db}" does not exist and the configured user may not create it ` +
          `(${errorMessage(await res.text())}): run CREATE DATABASE ${quoteIdent(db)} as an admin`,
      );
    }
    parseResults(await (await this.#ok(res, 'create database')).text(), 'CREATE DATABASE');
  }

  /**
   * Writes lines of line protocol (no trailing newlines) in requests of `linesPerRequest` lines,
   * one after the other; `ts` of every line in `precision`. When it fails, the requests before
   * the failing one are written: repeat the whole write (it is idempotent).
   */
  async write(
    lines: readonly string[],
    precision: Precision = 'ms',
    database = this.database,
  ): Promise<void> {
    const params = this.#dbParams(database);
    params.set('precision', precision);
    const path = `/write?${params}`;
    for (let i = 0; i < lines.length; i += this.#linesPerRequest) {
      const body = lines.slice(i, i + this.#linesPerRequest).join('\n');
      const res = await this.#request('POST', path, 'write', body, 'text/plain; charset=utf-8');
      await res.arrayBuffer();
    }
  }

  /** Runs read-only InfluxQL (GET) with times as epoch numbers in `epoch`; one result per statement. */
  async query(
    influxql: string,
    options: { epoch?: Precision; database?: string } = {},
  ): Promise<StatementResult[]> {
    const params = this.#dbParams(options.database ?? this.database);
    params.set('q', influxql);
    params.set('epoch', options.epoch ?? 'ms');
    const res = await this.#request('GET', `/query?${params}`, 'query');
    return parseResults(await res.text(), influxql);
  }

  /**
   * Runs InfluxQL that changes something (POST): CREATE/DROP DATABASE, or, in `database`, DELETE
   * (InfluxDB 1.x: 2.x takes no InfluxQL DELETE).
   */
  async command(influxql: string, database?: string): Promise<StatementResult[]> {
    const path = database === undefined ? '/query' : `/query?${this.#dbParams(database)}`;
    const res = await this.#ok(await this.#send('POST', path, 'query', form(influxql)), 'query');
    return parseResults(await res.text(), influxql);
  }

  #dbParams(database: string): URLSearchParams {
    const params = new URLSearchParams({ db: database });
    if (this.#config.retentionPolicy !== undefined) params.set('rp', this.#config.retentionPolicy);
    return params;
  }

  async #ensureBucket(db: string, version: string): Promise<void> {
    const rp = this.#config.retentionPolicy ?? 'autogen';
    const need =
      `InfluxDB ${version} serves v1 writes only into an existing bucket: create bucket "${db}" ` +
      `and, before 2.7, a DBRP mapping (influx v1 dbrp create --db ${db} --rp ${rp} --bucket-id <id> --default)`;
    if (this.#config.token === undefined) {
      throw new VigilError('VIGIL_ERR_CONFIG', `${need}; then set influx.token to a token that may write it`);
    }
    const found = await this.#json<{ buckets?: { id: string; orgID: string }[] }>(
      'GET',
      `/api/v2/buckets?${new URLSearchParams({ name: db })}`,
    );
    let bucket = found.buckets?.[0];
    if (bucket === undefined) {
      if (this.#config.org === undefined) {
        throw new VigilError('VIGIL_ERR_CONFIG', `${need}, or set influx.org so that Vigil creates them`);
      }
      const orgs = await this.#json<{ orgs?: { id: string }[] }>(
        'GET',
        `/api/v2/orgs?${new URLSearchParams({ org: this.#config.org })}`,
      );
      const orgID = orgs.orgs?.[0]?.id;
      if (orgID === undefined) {
        throw new VigilError('VIGIL_ERR_CONFIG', `influx.org: no organization "${this.#config.org}" visible`);
      }
      bucket = await this.#json<{ id: string; orgID: string }>(
        'POST',
        '/api/v2/buckets',
        { orgID, name: db, retentionRules: [] },
        need,
      );
    }
    const dbrps = await this.#json<{ content?: unknown[] }>(
      'GET',
      `/api/v2/dbrps?${new URLSearchParams({ orgID: bucket.orgID, db })}`,
    );
    if ((dbrps.content ?? []).length > 0) return;
    await this.#json(
      'POST',
      '/api/v2/dbrps',
      { bucketID: bucket.id, orgID: bucket.orgID, database: db, retention_policy: rp, default: true },
      need,
    );
  }

  /** A 2.x management call with a JSON answer; 401/403 become VIGIL_ERR_CONFIG saying `need`. */
  async #json<T>(method: 'GET' | 'POST', path: string, body?: unknown, need?: string): Promise<T> {
    const res = await this.#send(method, path, 'bucket setup', {
      body: body === undefined ? undefined : JSON.stringify(body),
      type: 'application/json',
    });
    if (need !== undefined && (res.status === 401 || res.status === 403)) {
      throw new VigilError(
        'VIGIL_ERR_CONFIG',
        `${need} (the token may not: ${errorMessage(await res.text())})`,
      );
    }
    return (await (await this.#ok(res, 'bucket setup')).json()) as T;
  }

  /** One HTTP request; resolves only on 2xx, with the body still to read. */
  async #request(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    body?: string,
    contentType?: string,
  ): Promise<Response> {
    return this.#ok(await this.#send(method, path, what, { body, type: contentType }), what);
  }

  /** One HTTP request, any status; fails only when no answer comes (VIGIL_ERR_UNAVAILABLE). */
  async #send(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    content: { body: string | undefined; type: string | undefined } = { body: undefined, type: undefined },
  ): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.#auth !== undefined) headers['authorization'] = this.#auth;
    if (content.type !== undefined) headers['content-type'] = content.type;
    try {
      return await fetch(this.#base + path, {
        method,
        headers,
        body: content.body ?? null,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      throw unavailable(this.#base, what, err, this.#timeoutMs);
    }
  }

  /** `res` when it is 2xx; otherwise reads InfluxDB's message and fails with it. */
  async #ok(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw unavailable(this.#base, what, err, this.#timeoutMs);
    }
    const message = `InfluxDB ${what} failed: HTTP ${res.status}: ${errorMessage(text)}`;
    throw new VigilError(res.status === 503 ? 'VIGIL_ERR_UNAVAILABLE' : 'VIGIL_ERR_STORAGE', message);
  }
}

function unavailable(base: string, what: string, err: unknown, timeoutMs: number): VigilError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const reason =
    e.name === 'TimeoutError' || e.name === 'AbortError'
      ? `no answer within ${timeoutMs} ms`
      : (e.cause?.code ?? e.cause?.message ?? e.message);
  return new VigilError('VIGIL_ERR_UNAVAILABLE', `InfluxDB at ${base} is unreachable (${what}): ${reason}`, {
    cause: err,
  });
}

/** InfluxDB's own words: `{"error": …}` (1.x), `{"code", "message"}` (2.x, 3.x), or the text. */
function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (typeof j.message === 'string') return j.message;
  } catch {}
  return text.trim().slice(0, 500) || '(no body)';
}

function parseResults(text: string, influxql: string): StatementResult[] {
  let raw: RawResults;
  try {
    raw = JSON.parse(text) as RawResults;
  } catch (err) {
    throw new VigilError('VIGIL_ERR_STORAGE', `InfluxDB query answered no JSON: ${text.slice(0, 200)}`, {
      cause: err,
    });
  }
  if (typeof raw.error === 'string') {
    throw new VigilError('VIGIL_ERR_STORAGE', `InfluxDB query failed: ${raw.error} (${excerpt(influxql)})`);
  }
  return (raw.results ?? []).map((r) => {
    if (typeof r.error === 'string') {
      throw new VigilError('VIGIL_ERR_STORAGE', `InfluxDB query failed: ${r.error} (${excerpt(influxql)})`);
    }
    return { series: r.series ?? [], partial: r.partial === true };
  });
}

function excerpt(influxql: string): string {
  return influxql.length > 200 ? `${influxql.slice(0, 200)}…` : influxql;
}

/** A form body carrying one InfluxQL text, as POST /query takes it. */
function form(influxql: string): { body: string; type: string } {
  return { body: new URLSearchParams({ q: influxql }).toString(), type: 'application/x-www-form-urlencoded' };
}
