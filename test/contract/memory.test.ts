/** The port contracts on the in-memory adapters. */
import { MemoryPointStore } from '../../src/adapters/memory/point-store.ts';
import { pointStoreContract } from './point-store.contract.ts';

pointStoreContract('memory', async () => {
  const store = new MemoryPointStore();
  return { sink: store, store, register: () => {}, close: async () => {} };
});
