/** The cache contract on the embedded MemoryCache, its clock moved by hand. */
import { MemoryCache } from '../../src/adapters/memory/cache.ts';
import { cacheContract } from './cache.contract.ts';

cacheContract('memory', async () => {
  let now = Date.UTC(2026, 0, 1);
  const cache = new MemoryCache({ now: () => now });
  return {
    cache,
    async advance(ms) {
      now += ms;
    },
    close: () => cache.close(),
  };
});
