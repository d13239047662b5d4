/** The port contracts on the in-memory adapters. */
import { MemoryCheckpoints } from '../../src/adapters/memory/checkpoint-store.ts';
import { MemoryPartitionedLog } from '../../src/adapters/memory/partitioned-log.ts';
import { MemoryPointStore } from '../../src/adapters/memory/point-store.ts';
import { anomalySinkContract } from './anomaly-sink.contract.ts';
import { checkpointContract } from './checkpoint.contract.ts';
import { partitionedLogContract } from './partitioned-log.contract.ts';
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

anomalySinkContract('memory', async () => {
  const cps = new MemoryCheckpoints(new MemoryPointStore());
  const open = () => ({ sink: cps, anomalies: cps, reopen: async () => open(), close: async () => {} });
  return open();
});

partitionedLogContract('memory', async () => {
  const log = new MemoryPartitionedLog();
  let n = 0;
  return { log, topic: (name) => `${name}-${n++}`, close: () => log.close() };
});
