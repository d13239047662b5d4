/**
 * The adapter's side of @platformatic/kafka: the options every client of this folder is built with,
 * and how the client's errors become Vigil's. Port implementations here build their clients through
 * `clientOptions` and raise only VigilErrors: no client type or client error crosses a port.
 *
 * Retries: the client retries a failed request `retries` times, `retryDelay` apart, refreshing
 * metadata when a leader moved. We derive `retries` from `unavailableAfterMs`, so an operation that
 * still fails after that long (a cluster that lost its quorum, a wrong address) surfaces as
 * VIGIL_ERR_UNAVAILABLE instead of hanging.
 */
import { findErrorBy, GenericError } from '@platformatic/kafka';
import { VigilError } from '../../core/errors.ts';
import type { ResolvedKafkaConfig } from './config.ts';

const RETRY_DELAY_MS = 250;

export interface ClientOptions {
  clientId: string;
  bootstrapBrokers: string[];
  /** Broker-side bound (produce acks, transaction timeout) and client-side request bound. */
  timeout: number;
  requestTimeout: number;
  connectTimeout: number;
  retries: number;
  retryDelay: (
    client: unknown,
    operationId: string,
    attempt: number,
    retries: number,
    error: Error,
  ) => number;
  metadataMaxAge: number;
}

/**
 * Pause before a retry. CONCURRENT_TRANSACTIONS only says the previous transaction's markers are
 * still being written (milliseconds): waiting the full step there capped a transactional producer
 * at 4 transactions per second (measured: 280 ms per append, 25 ms with this).
 */
function retryDelay(_c: unknown, _op: string, attempt: number, _retries: number, error: Error): number {
  if (!hasApiError(error, 'CONCURRENT_TRANSACTIONS')) return RETRY_DELAY_MS;
  // 3, 6, 12, … ms up to the normal step: still about `unavailableAfterMs` over all retries.
  return Math.min(RETRY_DELAY_MS, 3 * 2 ** Math.max(0, attempt - 1));
}

/** Options of one client; `role` names it for the brokers (`vigil-producer`, `vigil-reader`, …). */
export function clientOptions(c: ResolvedKafkaConfig, role: string, retries?: number): ClientOptions {
  return {
    clientId: `${c.clientId}-${role}`,
    bootstrapBrokers: c.brokers,
    timeout: c.requestTimeoutMs,
    // A fetch may wait maxWaitMs at the broker on top of the round trip.
    requestTimeout: c.requestTimeoutMs + c.maxWaitMs,
    connectTimeout: Math.min(c.requestTimeoutMs, 3_000),
    retries: retries ?? Math.max(1, Math.ceil(c.unavailableAfterMs / RETRY_DELAY_MS)),
    retryDelay,
    metadataMaxAge: 5_000,
  };
}

/** True when the failure is about reaching the cluster (connection, timeout, leader moving). */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof VigilError) return err.retriable;
  if (!GenericError.isGenericError(err)) return false;
  if (findErrorBy(err, 'code', 'PLT_KFK_NETWORK') || findErrorBy(err, 'code', 'PLT_KFK_TIMEOUT')) return true;
  return findErrorBy(err, 'canRetry', true) !== null && findErrorBy(err, 'canRetry', false) === null;
}

/** The Kafka protocol error name (`OFFSET_OUT_OF_RANGE`, …) somewhere in `err`, if any. */
export function hasApiError(err: unknown, apiId: string): boolean {
  return (
    err instanceof Error && GenericError.isGenericError(err) && findErrorBy(err, 'apiId', apiId) !== null
  );
}

/**
 * Maps a client error to Vigil's catalogue: transient ones to VIGIL_ERR_UNAVAILABLE (retriable),
 * the rest (the broker refused the request) to VIGIL_ERR_STORAGE. `what` names the operation.
 */
export function toVigilError(err: unknown, what: string): VigilError {
  if (err instanceof VigilError) return err;
  const message = err instanceof Error ? describe(err) : String(err);
  const code = isTransient(err) ? 'VIGIL_ERR_UNAVAILABLE' : 'VIGIL_ERR_STORAGE';
  return new VigilError(code, `kafka ${what}: ${message}`, { cause: err });
}

/** The client nests the real reasons (per retry, per partition) inside AggregateErrors. */
function describe(err: Error): string {
  const seen = new Set<string>();
  const walk = (e: unknown): void => {
    if (!(e instanceof Error)) return;
    const nested = (e as Error & { errors?: unknown[] }).errors;
    if (Array.isArray(nested) && nested.length > 0) for (const n of nested) walk(n);
    else seen.add(e.message);
  };
  walk(err);
  const reasons = [...seen].slice(-3);
  return reasons.length === 0 ? err.message : reasons.join('; ');
}
