/**
 * Authentication and scopes at the HTTP edge. Every route declares what it needs next to its
 * definition, as the route option `config: { scope }`: one of the key scopes, or `'public'`
 * (the probes, the OpenAPI document and its UI). A route that declares neither fails the server's
 * start (see the onRoute hook), so a route added later cannot be served unprotected by accident.
 *
 * With `auth.mode: keys`, a request to a non-public route needs an API key with the route's scope:
 * none or a bad one is a 401 (VIGIL_ERR_UNAUTHENTICATED, `WWW-Authenticate: Bearer`), one without
 * the scope a 403 (VIGIL_ERR_FORBIDDEN naming the scope). A request no route matches needs a valid
 * key of any scope before it learns that (404). In `loopback` and `none` modes every request is
 * anonymous and gets the default tenant. Either way `req.tenant` is set before any handler runs.
 *
 * Failed authentications (a key was sent, and it is not valid) are counted per client address in
 * the Cache (in memory embedded, Redis scaled out, so the count is shared by every replica); past
 * `maxFailures` in a window, that address gets 429 with Retry-After for one window more. A key
 * this process verified within the key cache's TTL skips the count: a client with a good key is
 * not slowed by the limiter's round trip.
 */
import { BlockList, isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DEFAULT_TENANT, type Principal, type Scope } from '../../core/api-key.ts';
import { VigilError } from '../../core/errors.ts';
import type { Cache } from '../../ports/cache.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs: a key scope, or `'public'` for no authentication at all. */
    scope?: Scope | 'public';
  }
  interface FastifyRequest {
    /** The tenant the request acts for: its key's, or `default` without keys. */
    tenant: string;
    /** The verified key (auth.mode keys), else undefined. */
    principal: Principal | undefined;
  }
}

/** What the auth hook needs of the key service (app/api-keys.ts). */
export interface KeyVerifier {
  /** A key verified recently, without I/O; else undefined. */
  cached(key: string): Principal | undefined;
  /** The principal of a valid key; undefined for anything else. Never throws for a bad key. */
  verify(key: string): Promise<Principal | undefined>;
}

export interface FailureLimit {
  cache: Cache;
  maxFailures: number;
  windowMs: number;
  now: () => number;
}

export type AuthOptions =
  | {
      mode: 'loopback' | 'none';
      /**
       * With `none`: the authenticating proxies (http.trustProxy) whose `X-Scope-OrgID` header
       * names the request's tenant, as Grafana Mimir's gateways send it. The header from any other
       * peer is refused (403), never believed.
       */
      tenantProxies?: readonly string[];
    }
  | { mode: 'keys'; keys: KeyVerifier; failures: FailureLimit };

/** Tenant names, as keys carry them (core/api-key.ts). */
const TENANT_NAME = /^[a-z0-9_-]{1,64}$/;

/** A matcher of the peers in `list` (addresses and CIDR ranges, IPv4 and IPv6). */
export function peerMatcher(list: readonly string[]): (address: string | undefined) => boolean {
  const blocks = new BlockList();
  for (const entry of list) {
    const [addr, bits] = entry.split('/') as [string, string | undefined];
    const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocks.addAddress(addr, type);
    else blocks.addSubnet(addr, Number(bits), type);
  }
  return (address) => {
    if (address === undefined) return false;
    const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address)?.[1];
    if (v4 !== undefined) return blocks.check(v4, 'ipv4');
    return blocks.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
  };
}

/** Name of the OpenAPI security scheme of API keys (see server.ts). */
export const SECURITY_SCHEME = 'apiKey';

/** Routes that third-party plugins register (the OpenAPI UI), public by prefix. */
const PUBLIC_PREFIXES = ['/docs'];

/** The longest credential looked at; a key is 64 characters, anything much longer is not one. */
const MAX_CREDENTIAL = 1024;

/**
 * The key a request carries, in the forms real clients send:
 * - `Authorization: Bearer <key>` (curl, Prometheus remote_write `authorization`, Grafana);
 * - `Authorization: Token <key>` (InfluxDB 2.x clients, Telegraf's influxdb_v2 output), also as
 *   `Token <user>:<key>` (InfluxDB 1.8's v2-compatible form);
 * - `Authorization: Basic base64(<user>:<key>)` (Prometheus `basic_auth`, Telegraf's influxdb
 *   output with username/password): the password is the key, the user name is ignored;
 * - on `/write` and `/query` only, the InfluxDB 1.x query parameters `u=<user>&p=<key>`.
 * Undefined when none is present; a present but malformed header yields '' (never a valid key).
 */
export function credentialsOf(
  req: Pick<FastifyRequest, 'headers' | 'query' | 'routeOptions'>,
): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string' && header !== '') {
    if (header.length > MAX_CREDENTIAL) return '';
    const sp = header.indexOf(' ');
    const scheme = (sp < 0 ? header : header.slice(0, sp)).toLowerCase();
    const value = sp < 0 ? '' : header.slice(sp + 1).trim();
    if (scheme === 'bearer') return value;
    if (scheme === 'token') return value.slice(value.indexOf(':') + 1);
    if (scheme === 'basic') {
      const text = Buffer.from(value, 'base64').toString('utf8');
      const colon = text.indexOf(':');
      return colon < 0 ? '' : text.slice(colon + 1);
    }
    return '';
  }
  if (req.routeOptions.url === '/write' || req.routeOptions.url === '/query') {
    const p = (req.query as Record<string, unknown> | undefined)?.p;
    if (typeof p === 'string' && p !== '') return p.length > MAX_CREDENTIAL ? '' : p;
  }
  return undefined;
}

export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  app.decorateRequest('tenant', DEFAULT_TENANT);
  app.decorateRequest('principal', undefined);
  app.addHook('onRoute', (route) => {
    if (PUBLIC_PREFIXES.some((p) => route.url === p || route.url.startsWith(`${p}/`))) {
      route.config = { ...route.config, scope: 'public' };
    }
    const scope = route.config?.scope;
    if (scope === undefined) {
      throw new Error(
        `route ${String(route.method)} ${route.url} declares no scope: add config: { scope } (see src/adapters/http/auth.ts)`,
      );
    }
    // The OpenAPI document says what each operation needs (with auth.mode keys): the standard
    // security requirement, and the scope as `x-vigil-scope` (bearer schemes carry no scopes).
    if (route.schema !== undefined && route.schema.hide !== true) {
      route.schema = {
        ...route.schema,
        'x-vigil-scope': scope,
        ...(scope === 'public' ? { security: [] } : { security: [{ [SECURITY_SCHEME]: [] }] }),
      } as typeof route.schema;
    }
  });
  if (opts.mode !== 'keys') {
    const trusted = peerMatcher(opts.tenantProxies ?? []);
    app.addHook('onRequest', async (req) => {
      const header = req.headers['x-scope-orgid'];
      if (header === undefined) return;
      if (opts.mode !== 'none' || !trusted(req.socket.remoteAddress)) {
        throw new VigilError(
          'VIGIL_ERR_FORBIDDEN',
          'X-Scope-OrgID is accepted only with auth.mode none from an http.trustProxy address',
          { location: { field: 'X-Scope-OrgID' } },
        );
      }
      if (typeof header !== 'string' || !TENANT_NAME.test(header)) {
        throw new VigilError(
          'VIGIL_ERR_BAD_REQUEST',
          'X-Scope-OrgID must be a tenant name: 1-64 of a-z, 0-9, _, -',
          {
            location: { field: 'X-Scope-OrgID' },
          },
        );
      }
      req.tenant = header;
    });
    return;
  }
  const { keys, failures } = opts;
  const failKey = (ip: string) => `authfail:{${ip}}`;
  const blockKey = (ip: string) => `authblock:{${ip}}`;

  app.addHook('onRequest', async (req) => {
    // `is404` routes have no config of ours: any valid key may learn the route does not exist.
    const need = req.is404 ? undefined : req.routeOptions.config.scope;
    if (need === 'public') return;
    const key = credentialsOf(req);
    if (key === undefined) {
      throw new VigilError(
        'VIGIL_ERR_UNAUTHENTICATED',
        'this route needs an API key: send Authorization: Bearer <key> (docs/security.md)',
      );
    }
    let principal = keys.cached(key);
    if (principal === undefined) {
      const blocked = await failures.cache.get(blockKey(req.ip));
      if (blocked !== undefined) throw tooManyFailures(Number(blocked) - failures.now());
      principal = await keys.verify(key);
      if (principal === undefined) {
        const now = failures.now();
        const n = await failures.cache.incrWindow(failKey(req.ip), failures.windowMs, now);
        if (n >= failures.maxFailures) {
          await failures.cache.set(blockKey(req.ip), String(now + failures.windowMs), failures.windowMs);
        }
        throw new VigilError(
          'VIGIL_ERR_UNAUTHENTICATED',
          'the API key is malformed, unknown, expired or revoked',
        );
      }
    }
    req.principal = principal;
    req.tenant = principal.tenant;
    if (need !== undefined && !principal.scopes.includes(need)) {
      throw new VigilError(
        'VIGIL_ERR_FORBIDDEN',
        `this API key lacks the scope "${need}" that this route needs`,
        {
          location: { field: 'scope' },
        },
      );
    }
  });
}

function tooManyFailures(remainingMs: number): VigilError {
  return new VigilError(
    'VIGIL_ERR_AUTH_RATE_LIMITED',
    'too many failed authentications from this address; retry after Retry-After seconds',
    { retryAfterSeconds: Math.max(1, Math.ceil(remainingMs / 1000)) },
  );
}
