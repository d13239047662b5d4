/**
 * API keys as text: `vgl_<id>_<secret>`, where `id` (16 lowercase hex characters) is public and
 * names the stored record, and `secret` (43 base64url characters, 256 random bits) is only ever
 * hashed. Pure: generating the random parts and hashing happen in app/api-keys.ts.
 */

export const SCOPES = ['ingest', 'read', 'configure', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const KEY_PREFIX = 'vgl_';
const KEY = /^vgl_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** Who a verified key speaks for: what the HTTP edge puts on the request. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: readonly Scope[];
}

export interface ParsedKey {
  id: string;
  secret: string;
}

/** The id and secret of a well-formed key; undefined for anything else (never throws). */
export function parseKey(text: string): ParsedKey | undefined {
  if (text.length !== 64) return undefined;
  const m = KEY.exec(text);
  return m === null ? undefined : { id: m[1]!, secret: m[2]! };
}

export function formatKey(id: string, secret: string): string {
  return `${KEY_PREFIX}${id}_${secret}`;
}

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/**
 * Parses a comma-separated scope list (`ingest,read`); throws a message naming the unknown scope.
 * `admin` does not imply the others: a key gets what it lists.
 */
export function parseScopes(list: string): Scope[] {
  const out: Scope[] = [];
  for (const raw of list.split(',')) {
    const s = raw.trim();
    if (s === '') continue;
    if (!isScope(s)) throw new Error(`unknown scope "${s}" (scopes: ${SCOPES.join(', ')})`);
    if (!out.includes(s)) out.push(s);
  }
  if (out.length === 0) throw new Error(`no scope given (scopes: ${SCOPES.join(', ')})`);
  return out;
}

/** A tenant name: what storage keys will carry (see DESIGN.md "Tenants and security"). */
const TENANT = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const DEFAULT_TENANT = 'default';

export function isTenant(s: string): boolean {
  return TENANT.test(s);
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * An expiry as given to `vigil keys create --expires` or the admin API: a duration from now
 * (`90d`, `12h`, `30m`, `2w`, `45s`) or an RFC 3339 date; epoch ms. Throws a message on anything else.
 */
export function parseExpiry(text: string, nowMs: number): number {
  const d = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (d !== null) return nowMs + Number(d[1]) * UNIT_MS[d[2]!]!;
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (!Number.isNaN(t)) return t;
  }
  throw new Error(
    `expiry must be a duration (90d, 12h, 30m, 2w, 45s) or an RFC 3339 date: ${JSON.stringify(text)}`,
  );
}
