/**
 * The audit log's record: who changed what, when. Every successful change made through a route of
 * scope `configure` or `admin` is one event (see adapters/http/audit.ts), as is every key that
 * `vigil keys` creates or revokes on the host. Events belong to the tenant they acted in and are
 * never updated or deleted by the API.
 */

export interface AuditEvent {
  /** Epoch ms when the change was made. */
  ts: number;
  tenant: string;
  /** `key:<id>` for an API key, `anonymous` for a request without one (auth.mode loopback/none), `cli:<user>` for `vigil keys`. */
  actor: string;
  /** `<METHOD> <route>` for the API (e.g. `PUT /api/v1/series/config`), `keys.create` / `keys.revoke` for the CLI. */
  action: string;
  /** What was acted on: the route's path parameters and query string, as JSON text. */
  target: string;
  /** The request body with secrets redacted (see `redacted`), as JSON text, at most MAX_DETAIL_CHARS. */
  detail: string;
  /** The HTTP status answered (the CLI: 0). */
  status: number;
  /** The client address as the server saw it (after http.trustProxy); empty for the CLI. */
  remote: string;
}

export interface AuditQuery {
  tenant: string;
  from?: number;
  to?: number;
  actor?: string;
  /** A prefix of the action, e.g. `PUT /api/v1/series` or `keys.`. */
  actionPrefix?: string;
  limit: number;
}

/** A stored event with its position in the log (ascending, so clients can page by it). */
export interface StoredAuditEvent extends AuditEvent {
  id: number;
}

export const MAX_DETAIL_CHARS = 8192;

/** Keys whose values never reach the audit log: the value is replaced by "[redacted]". */
const SECRET_KEY = /secret|password|passwd|token|authorization|api[-_]?key|^key$|credential/i;

/**
 * `value` with every property whose name looks like a secret replaced, to any depth, as JSON text
 * cut to MAX_DETAIL_CHARS (a cut text ends with `…`). Undefined becomes the empty string.
 */
export function redacted(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value, (k, v) => (k !== '' && SECRET_KEY.test(k) ? '[redacted]' : v));
  if (text === undefined) return '';
  return text.length <= MAX_DETAIL_CHARS ? text : `${text.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/** Whether `e` passes the filters of `q` (not its limit). */
export function matchesAuditQuery(e: AuditEvent, q: AuditQuery): boolean {
  return (
    e.tenant === q.tenant &&
    (q.from === undefined || e.ts >= q.from) &&
    (q.to === undefined || e.ts < q.to) &&
    (q.actor === undefined || e.actor === q.actor) &&
    (q.actionPrefix === undefined || e.action.startsWith(q.actionPrefix))
  );
}
