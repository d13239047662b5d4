/**
 * AuditLog: the append-only record of changes (core/audit.ts). Embedded: SQLite `audit.db` under
 * the data dir (its own file, so `vigil keys` can append while the server runs); scaled out:
 * PostgreSQL, so every API replica writes one log and an admin reads it from any of them.
 */
import type { AuditEvent, AuditQuery, StoredAuditEvent } from '../core/audit.ts';

export interface AuditLog {
  /** Appends `e`; durable when it resolves. */
  record(e: AuditEvent): Promise<void>;
  /** The tenant's events matching `q`, newest first, at most `q.limit`. */
  query(q: AuditQuery): Promise<StoredAuditEvent[]>;
  close(): Promise<void>;
}
