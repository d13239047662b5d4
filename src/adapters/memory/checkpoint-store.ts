/**
 * Checkpoints in memory, one store per partition name, with the anomalies they committed: the
 * reference behaviour of the PostgreSQL checkpoint store, for tests of the roles without services.
 */
import { type Anomaly, type AnomalyQuery, selectAnomalies, supersedes } from '../../core/anomaly.ts';
import type { Checkpoint, CheckpointData, CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { AnomalySink, AnomalyStore } from '../../ports/meta-store.ts';
import type { PointSink } from '../../ports/point-store.ts';

export class MemoryCheckpoints implements AnomalyStore, AnomalySink {
  readonly #sink: PointSink;
  readonly #offsets = new Map<string, number>();
  readonly #states = new Map<number, { partition: string; state: string }>();
  readonly #anomalies = new Map<string, Anomaly>();

  constructor(sink: PointSink) {
    this.#sink = sink;
  }

  forPartition(name: string): CheckpointStore {
    return {
      commit: async (d: CheckpointData) => {
        await this.#sink.write(d.points);
        this.#upsert(d.anomalies);
        for (const [sid, state] of d.states) this.#states.set(sid, { partition: name, state });
        this.#offsets.set(name, d.offset);
      },
      load: async (): Promise<Checkpoint> => {
        const states = new Map<number, string>();
        for (const [sid, s] of this.#states) if (s.partition === name) states.set(sid, s.state);
        return { offset: this.#offsets.get(name) ?? 0, states };
      },
    };
  }

  async write(anomalies: readonly Anomaly[]): Promise<void> {
    this.#upsert(anomalies);
  }

  #upsert(list: readonly Anomaly[]): void {
    for (const a of list) {
      const k = `${a.seriesId}:${a.start}`;
      const stored = this.#anomalies.get(k);
      if (stored === undefined || supersedes(a, stored)) this.#anomalies.set(k, { ...a });
    }
  }

  async anomalies(q: AnomalyQuery): Promise<Anomaly[]> {
    return selectAnomalies(this.#anomalies.values(), q);
  }
}
