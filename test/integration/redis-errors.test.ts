/**
 * How the Redis adapter fails: malformed config → VIGIL_ERR_CONFIG at once; no reachable node or a
 * closed cache → VIGIL_ERR_UNAVAILABLE (retriable) within the configured bound; a command Redis
 * rejects → VIGIL_ERR_STORAGE at once, without retrying.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { openRedisCache } from '../../src/adapters/redis/index.ts';
import type { Cache } from '../../src/ports/cache.ts';
import { service } from '../support/services.ts';

/** A loopback port nothing listens on (bound, read, released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const opened: Cache[] = [];
afterAll(async () => {
  for (const c of opened) await c.close();
});

it('rejects malformed node lists and a key prefix with a hash tag', async () => {
  for (const nodes of [[], ['localhost'], ['127.0.0.1:0'], ['127.0.0.1:70000'], ['a:b']]) {
    await expect(openRedisCache({ nodes })).rejects.toMatchObject({ code: 'VIGIL_ERR_CONFIG' });
  }
  await expect(openRedisCache({ nodes: ['127.0.0.1:6379'], keyPrefix: '{app}:' })).rejects.toMatchObject({
    code: 'VIGIL_ERR_CONFIG',
  });
});

it('fails with VIGIL_ERR_UNAVAILABLE when no node answers', async () => {
  const err = await openRedisCache({
    nodes: [`127.0.0.1:${await deadPort()}`],
    unavailableAfterMs: 300,
  }).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE', retriable: true });
});

it('fails at once with VIGIL_ERR_STORAGE on a command Redis rejects, and UNAVAILABLE after close', async () => {
  const nodes = service('redis').VIGIL_REDIS_NODES!.split(',');
  // unavailableAfterMs is long: a retried error would make this test time out, not pass.
  const cache = await openRedisCache({
    nodes,
    keyPrefix: `errors:${randomUUID()}:`,
    unavailableAfterMs: 600_000,
  });
  opened.push(cache);
  // A counter key holding text: INCR answers "ERR value is not an integer".
  await cache.set('rate:60000', 'not a number', 10_000);
  await expect(cache.incrWindow('rate', 60_000, 60_000)).rejects.toMatchObject({
    code: 'VIGIL_ERR_STORAGE',
    message: expect.stringContaining('not an integer'),
  });
  await cache.delete('rate:60000');
  await cache.close();
  await expect(cache.get('x')).rejects.toMatchObject({ code: 'VIGIL_ERR_UNAVAILABLE' });
});
