/**
 * API keys over an ApiKeyStore: creation (the key is returned once and only its salted scrypt hash
 * is stored), listing, revocation, and `verify`, which every authenticated request goes through.
 *
 * scrypt is slow on purpose (~50 ms of a libuv thread per call at N=2^14), so a key that verified
 * is remembered in this process for `cacheMs` (at most 5 s): a client sending the same key again
 * costs a SHA-256 and a Map lookup. That TTL is also how long a revocation, or a rotation that
 * revokes the old key, takes to reach every replica, since each replica looks the record up again
 * (on the primary, see ApiKeyStore.lookup) once its entry is older. Failed verifications are not
 * remembered: a key created a moment ago works at once.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_TENANT,
  formatKey,
  isTenant,
  type Principal,
  parseKey,
  type Scope,
} from '../core/api-key.ts';
import { VigilError } from '../core/errors.ts';
import type { ApiKeyInfo, ApiKeyRecord, ApiKeyStore } from '../ports/api-key-store.ts';

export type { Principal } from '../core/api-key.ts';

export interface CreateKey {
  tenant?: string;
  scopes: readonly Scope[];
  name?: string;
  /** Absent: never expires. */
  expiresMs?: number;
}

/** The upper bound the issue sets for revocation to reach every replica. */
export const MAX_KEY_CACHE_MS = 5000;

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 } as const;

function derive(
  secret: string,
  salt: Buffer,
  N: number,
  r: number,
  p: number,
  keylen: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keylen, { N, r, p, maxmem: 256 * N * r }, (err, out) =>
      err === null ? resolve(out) : reject(err),
    ),
  );
}

/** Hashes a secret with a fresh salt; returns the record's `kdf` and `hash` fields. */
export async function hashSecret(secret: string): Promise<{ kdf: string; hash: string }> {
  const salt = randomBytes(16);
  const out = await derive(secret, salt, SCRYPT.N, SCRYPT.r, SCRYPT.p, SCRYPT.keylen);
  return {
    kdf: `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}`,
    hash: out.toString('base64url'),
  };
}

/**
 * Whether `secret` hashes to the record's hash. The comparison is crypto.timingSafeEqual on the
 * two derived hashes, so how long it takes says nothing about how much of a guess was right.
 */
export async function secretMatches(secret: string, kdf: string, hash: string): Promise<boolean> {
  const [alg, n, r, p, salt] = kdf.split('$');
  if (alg !== 'scrypt' || salt === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await derive(
    secret,
    Buffer.from(salt, 'base64url'),
    Number(n),
    Number(r),
    Number(p),
    expected.length,
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface ApiKeysOptions {
  now?: () => number;
  /** How long a verified key is trusted without looking at the store again (≤ MAX_KEY_CACHE_MS). */
  cacheMs?: number;
}

export class ApiKeys {
  readonly store: ApiKeyStore;
  readonly #now: () => number;
  readonly #cacheMs: number;
  /** sha256(key) → principal and until when it is trusted. Keyed by a digest, never the key. */
  readonly #verified = new Map<string, { principal: Principal; until: number }>();
  readonly #inFlight = new Map<string, Promise<Principal | undefined>>();

  constructor(store: ApiKeyStore, options: ApiKeysOptions = {}) {
    this.store = store;
    this.#now = options.now ?? Date.now;
    this.#cacheMs = Math.min(options.cacheMs ?? 2000, MAX_KEY_CACHE_MS);
  }

  /** Creates a key; the returned `key` is the only time its secret exists outside the client. */
  async create(c: CreateKey): Promise<{ key: string; info: ApiKeyInfo }> {
    const tenant = c.tenant ?? DEFAULT_TENANT;
    if (!isTenant(tenant)) {
      throw new VigilError(
        'VIGIL_ERR_BAD_REQUEST',
        `tenant must be 1..63 of a-z, 0-9, _ and -, starting with a letter or digit: ${JSON.stringify(tenant)}`,
        { location: { field: 'tenant' } },
      );
    }
    if (c.scopes.length === 0) {
      throw new VigilError('VIGIL_ERR_BAD_REQUEST', 'a key needs at least one scope', {
        location: { field: 'scopes' },
      });
    }
    const now = this.#now();
    if (c.expiresMs !== undefined && c.expiresMs <= now) {
      throw new VigilError('VIGIL_ERR_BAD_REQUEST', 'expiry must be in the future', {
        location: { field: 'expires' },
      });
    }
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record: ApiKeyRecord = {
      id,
      tenant,
      scopes: [...new Set(c.scopes)],
      name: c.name ?? '',
      ...(await hashSecret(secret)),
      createdMs: now,
      ...(c.expiresMs !== undefined ? { expiresMs: c.expiresMs } : {}),
    };
    await this.store.create(record);
    return { key: formatKey(id, secret), info: infoOf(record) };
  }

  async list(): Promise<ApiKeyInfo[]> {
    return (await this.store.list()).map(infoOf);
  }

  /** Revokes in the store and forgets the key here at once; other replicas within `cacheMs`. */
  async revoke(id: string): Promise<boolean> {
    const done = await this.store.revoke(id, this.#now());
    for (const [digest, v] of this.#verified) if (v.principal.keyId === id) this.#verified.delete(digest);
    return done;
  }

  /** A key verified within `cacheMs`, without touching the store or scrypt; else undefined. */
  cached(key: string): Principal | undefined {
    const digest = digestOf(key);
    const hit = this.#verified.get(digest);
    if (hit === undefined) return undefined;
    if (hit.until <= this.#now()) {
      this.#verified.delete(digest);
      return undefined;
    }
    return hit.principal;
  }

  /**
   * The principal of `key` if it is well formed, stored, unrevoked, unexpired and its secret
   * matches; else undefined. Never throws for a bad key (a storage failure still throws).
   */
  verify(key: string): Promise<Principal | undefined> {
    const hit = this.cached(key);
    if (hit !== undefined) return Promise.resolve(hit);
    // Requests that arrive with one key before its first check ends (a client opening many
    // connections at once) share that check: one scrypt, not one per request.
    const digest = digestOf(key);
    let pending = this.#inFlight.get(digest);
    if (pending === undefined) {
      pending = this.#check(key, digest).finally(() => this.#inFlight.delete(digest));
      this.#inFlight.set(digest, pending);
    }
    return pending;
  }

  async #check(key: string, digest: string): Promise<Principal | undefined> {
    const parsed = parseKey(key);
    if (parsed === undefined) return undefined;
    const record = await this.store.lookup(parsed.id);
    if (record === undefined) return undefined;
    const now = this.#now();
    if (record.revokedMs !== undefined) return undefined;
    if (record.expiresMs !== undefined && record.expiresMs <= now) return undefined;
    if (!(await secretMatches(parsed.secret, record.kdf, record.hash))) return undefined;
    const principal: Principal = { keyId: record.id, tenant: record.tenant, scopes: record.scopes };
    if (this.#verified.size >= 10_000) this.#sweep(now);
    this.#verified.set(digest, {
      principal,
      until: Math.min(now + this.#cacheMs, record.expiresMs ?? Number.POSITIVE_INFINITY),
    });
    return principal;
  }

  #sweep(now: number): void {
    for (const [digest, v] of this.#verified) if (v.until <= now) this.#verified.delete(digest);
    // Still full of live entries (many distinct valid keys): start over rather than grow.
    if (this.#verified.size >= 10_000) this.#verified.clear();
  }
}

function digestOf(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

function infoOf(r: ApiKeyRecord): ApiKeyInfo {
  const { kdf: _kdf, hash: _hash, ...info } = r;
  return info;
}
