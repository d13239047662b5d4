/** The port contracts on the in-memory adapters. */
import { MemoryCheckpoints } from '../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPointStore } from '../../src/adapters/memory/point-store.ts';
import { checkpointContract } from './checkpoint.contract.ts';
import { pointStoreContract } from './point-store.contract.ts';

pointStoreContract('memory', async () => {
  const store = new MemoryPointStore();
  return { sink: store, store, register: () => {}, close: async () => {} };
});

checkpointContract('memory', async () => {
  const points = new MemoryPointStore();
  const cps = new MemoryCheckpoints(points);
  const open = () => ({
    checkpoints: cps.forPartition('p0'),
    points,
    anomalies: cps,
    reopen: async () => open(),
    close: async () => {},
  });
  return open();
});
