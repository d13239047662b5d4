/**
 * The PointStore contract on InfluxDB 1.x (scripts/services/influxdb.sh), in both layouts
 * (`influx.layout`). Every opened store gets its own database under this run's prefix; each is
 * dropped when it closes.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll } from 'vitest';
import { InfluxClient, openInfluxPointStore } from '../../src/adapters/influx/index.ts';
import type { SeriesInfo } from '../../src/ports/series-catalog.ts';
import { service } from '../support/services.ts';
import { pointStoreContract } from './point-store.contract.ts';

const runPrefix = `vigil_test_${randomUUID().slice(0, 8)}`;
let url = '';
let opened = 0;

beforeAll(() => {
  url = service('influxdb').VIGIL_INFLUX_URL!;
});

for (const layout of ['compact', 'fields'] as const)
  pointStoreContract(`influxdb 1.x, influx.layout ${layout}`, async () => {
    const database = `${runPrefix}_${opened++}`;
    const series = new Map<number, SeriesInfo>();
    const store = await openInfluxPointStore(
      { url, database, layout },
      { get: async (id) => series.get(id) },
    );
    return {
      sink: store,
      store,
      register(id, key, metric, tags) {
        series.set(id, { id, key, metric, tags, createdMs: 0 });
      },
      async close() {
        await new InfluxClient({ url, database }).command(`DROP DATABASE "${database}"`);
      },
    };
  });
