/**
 * Contract of AnomalySink with the AnomalyStore that reads what it wrote: memory and PostgreSQL.
 * A run's forms only grow, so a store keeps the newest form whatever order writes arrive in (a
 * replay from an older checkpoint, a member that lost its partition and writes late).
 */
import { describe, expect, it } from 'vitest';
import type { Anomaly } from '../../src/core/anomaly.ts';
import type { AnomalySink, AnomalyStore } from '../../src/ports/meta-store.ts';
import { anomaly, type Reopenable } from './fixtures.ts';

export interface AnomalySinkUnderTest extends Reopenable<AnomalySinkUnderTest> {
  sink: AnomalySink;
  anomalies: AnomalyStore;
}

/** The form of run (series 1, start 100) after `points` points, open or closed. */
const form = (points: number, open: boolean, seriesId = 1): Anomaly => ({
  ...anomaly(seriesId, 100, 100 + (points - 1) * 10, open),
  points,
  peakScore: 0.99 + points / 1000,
});

export function anomalySinkContract(name: string, open: () => Promise<AnomalySinkUnderTest>): void {
  describe(`AnomalySink contract: ${name}`, () => {
    it('stores forms durably, the newest of each run, and reads them back with filters', async () => {
      let s = await open();
      await s.sink.write([form(1, true), form(2, true), form(1, true, 2)]);
      await s.sink.write([form(3, false)]);
      s = await s.reopen();
      expect(await s.anomalies.anomalies({ limit: 10, seriesIds: [1] })).toEqual([form(3, false)]);
      expect(await s.anomalies.anomalies({ limit: 10, openOnly: true })).toEqual([form(1, true, 2)]);
      await s.close();
    });

    it('never moves a run backwards: older forms written late are ignored', async () => {
      const s = await open();
      await s.sink.write([form(4, true)]);
      await s.sink.write([form(2, true)]); // fewer points
      expect((await s.anomalies.anomalies({ limit: 10 }))[0]).toEqual(form(4, true));
      await s.sink.write([form(4, false)]); // the closing form: same points, closed
      await s.sink.write([form(4, true)]); // its open predecessor, late
      await s.sink.write([form(3, false)]); // an older form in any state
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([form(4, false)]);
      await s.sink.write([form(4, false)]); // a repeat is harmless
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([form(4, false)]);
      await s.close();
    });

    it('keeps the model version that scored a run (the newest form)', async () => {
      let s = await open();
      const v1 = { name: 'cpu-model', version: '1' };
      await s.sink.write([{ ...form(1, true), model: v1 }, form(1, true, 2)]);
      await s.sink.write([{ ...form(2, false), model: v1 }]);
      s = await s.reopen();
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([
        { ...form(2, false), model: v1 },
        form(1, true, 2),
      ]);
      await s.close();
    });

    it('takes the last form of a run when one write holds several, and an empty write', async () => {
      const s = await open();
      await s.sink.write([]);
      await s.sink.write([form(1, true), form(2, true), form(2, false)]);
      expect(await s.anomalies.anomalies({ limit: 10 })).toEqual([form(2, false)]);
      await s.close();
    });
  });
}
