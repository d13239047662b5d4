/**
 * ApiKeyStore: the API keys of a deployment, as salted hashes. Embedded: SQLite under the data dir;
 * scaled out: PostgreSQL, so every API replica sees a key created or revoked on any of them (or by
 * `vigil keys`). The store never sees a key's secret: callers hash it (see app/api-keys.ts) and
 * look a key up by its public id.
 */
import type { Scope } from '../core/api-key.ts';

export interface ApiKeyRecord {
  /** Public part of the key (`vgl_<id>_<secret>`): unique, the lookup handle, safe to log. */
  id: string;
  tenant: string;
  scopes: readonly Scope[];
  /** Free text the creator gave, e.g. "telegraf on host a". */
  name: string;
  /** scrypt parameters and salt of `hash`, as `scrypt$N$r$p$<salt base64url>`. */
  kdf: string;
  /** The derived hash of the secret, base64url. */
  hash: string;
  createdMs: number;
  /** Absent: never expires. */
  expiresMs?: number;
  /** Set once revoked; a revoked key stays listed. */
  revokedMs?: number;
}

/** A key as listed and shown: its record without the hash. */
export type ApiKeyInfo = Omit<ApiKeyRecord, 'kdf' | 'hash'>;

export interface ApiKeyStore {
  /** Stores a new key; fails with VIGIL_ERR_STORAGE if the id exists. Durable when it resolves. */
  create(key: ApiKeyRecord): Promise<void>;
  /**
   * The key with this id, revoked or not, as the primary has it now: revocation MUST be visible to
   * every process at the next `lookup` after `revoke` resolved (no replica lag).
   */
  lookup(id: string): Promise<ApiKeyRecord | undefined>;
  /** Every key, oldest first, revoked ones included. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked at `nowMs`; false when no such key. Revoking twice keeps the first time. */
  revoke(id: string, nowMs: number): Promise<boolean>;
  /** Number of keys neither revoked nor expired at `nowMs`. */
  countActive(nowMs: number): Promise<number>;
  close(): Promise<void>;
}
