/** Starts a real embedded server on a free loopback port with a throwaway data dir. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type EmbeddedServer, startEmbedded } from '../../src/app/embedded.ts';
import { validateConfig } from '../../src/config/load.ts';

export interface TestServer extends EmbeddedServer {
  dataDir: string;
  /** Closes the server and deletes its data dir. */
  dispose(): Promise<void>;
}

export async function startTestServer(overrides: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vigil-test-'));
  const config = validateConfig({
    dataDir,
    logLevel: 'silent',
    ...overrides,
    http: { host: '127.0.0.1', port: 0, ...((overrides.http as object) ?? {}) },
    engine: { checkpointIntervalMs: 50, ...((overrides.engine as object) ?? {}) },
  });
  const server = await startEmbedded(config);
  return {
    ...server,
    dataDir,
    async dispose() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** POSTs `points` as JSON to the server's ingest route and expects its 204. */
export async function postPoints(url: string, points: readonly unknown[]): Promise<void> {
  const r = await fetch(`${url}/api/v1/points`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
  expect(r.status).toBe(204);
}
