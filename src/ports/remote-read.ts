/**
 * Prometheus remote_read as the HTTP route sees it: a codec (adapters/ingest/remote-read.ts) that
 * turns a request body into queries and series into a response body, so the route (adapters/http)
 * needs no protobuf and neither adapter imports the other.
 */
export interface RemoteReadMatcher {
  op: '=' | '!=' | '=~' | '!~';
  name: string;
  value: string;
}

export interface RemoteReadQuery {
  /** Inclusive bounds, epoch ms. */
  startMs: number;
  endMs: number;
  matchers: RemoteReadMatcher[];
}

/** One series of a response: its labels (with `__name__`) and samples in ascending ts. */
export interface RemoteReadSeries {
  labels: Readonly<Record<string, string>>;
  samples: readonly { ts: number; value: number }[];
}

export interface RemoteReadCodec {
  /** Throws VIGIL_ERR_BAD_REMOTE_READ naming what is wrong. */
  decode(body: Uint8Array | undefined): RemoteReadQuery[];
  /** The response body (compressed as the protocol asks), one result per query in order. */
  encode(results: readonly (readonly RemoteReadSeries[])[]): Uint8Array;
  /** Response headers: Content-Type and Content-Encoding. */
  readonly headers: Readonly<Record<string, string>>;
}
