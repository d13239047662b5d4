/**
 * The HTTP edge's authentication, built from `auth.*` for a composition root: the key service on
 * the deployment's key store and the failed-auth limit on its Cache (memory embedded, Redis
 * scaled out). Every root calls this, so `auth.mode` means the same on `vigil serve` and each role.
 */
import type { Logger } from 'pino';
import type { AuthOptions } from '../adapters/http/auth.ts';
import type { Config } from '../config/schema.ts';
import type { ApiKeyStore } from '../ports/api-key-store.ts';
import type { Cache } from '../ports/cache.ts';
import { ApiKeys } from './api-keys.ts';

export async function authWiring(
  config: Readonly<Config>,
  store: ApiKeyStore,
  cache: Cache,
  logger: Logger,
): Promise<{ auth: AuthOptions; keys: ApiKeys }> {
  const keys = new ApiKeys(store, { cacheMs: config.auth.keyCacheMs });
  if (config.auth.mode !== 'keys') {
    return { auth: { mode: config.auth.mode, tenantProxies: config.http.trustProxy }, keys };
  }
  if ((await store.countActive(Date.now())) === 0) {
    logger.warn(
      'auth.mode is keys and no API key is active: every route but /healthz, /readyz and /docs answers 401; create one with `vigil keys create --scopes admin`',
    );
  }
  return {
    auth: {
      mode: 'keys',
      keys,
      failures: {
        cache,
        maxFailures: config.auth.maxFailures,
        windowMs: config.auth.failureWindowSeconds * 1000,
        now: Date.now,
      },
    },
    keys,
  };
}
