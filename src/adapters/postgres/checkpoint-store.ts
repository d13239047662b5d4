/**
 * Checkpoints of the scaled-out detectors on PostgreSQL, one CheckpointStore per log partition.
 *
 * `commit` of partition P: (1) the scored points go to the PointSink (InfluxDB in production), then
 * (2) one primary transaction upserts the anomalies on (series, start), the states of the series
 * (recorded as P's) and P's offset. Step 1 is idempotent, so a crash between the steps only means
 * the replay from the older offset writes the same points again; once step 2 commits, anomalies,
 * states and offset agree. `load` reads P's offset and the states stored under P in one snapshot
 * of the primary (authoritative: never a lagging replica).
 *
 * A commit whose offset is below the stored one is refused (VIGIL_ERR_STORAGE), as the Redis
 * checkpoint states do: a stale writer (a task that lost its partition without noticing yet)
 * would otherwise pair older offsets with newer states, and a replay would apply points twice. The
 * same offset again is accepted, so retrying a commit whose reply was lost is harmless.
 */
import { VigilError } from '../../core/errors.ts';
import type { Checkpoint, CheckpointData, CheckpointStore } from '../../ports/checkpoint-store.ts';
import type { PointSink } from '../../ports/point-store.ts';
import { upsertAnomalies } from './anomaly-store.ts';
import { int } from './codec.ts';
import type { PgPools } from './pools.ts';

export class PgCheckpoints {
  readonly #pools: PgPools;
  readonly #sink: PointSink;

  /** Does not own `pools` or `sink`. */
  constructor(pools: PgPools, sink: PointSink) {
    this.#pools = pools;
    this.#sink = sink;
  }

  /** The checkpoints of one partition (a name unique in the deployment, e.g. `points-3` or `3`). */
  forPartition(partition: string | number): CheckpointStore {
    return new PartitionCheckpoints(this.#pools, this.#sink, String(partition));
  }
}

class PartitionCheckpoints implements CheckpointStore {
  readonly #pools: PgPools;
  readonly #sink: PointSink;
  readonly #partition: string;

  constructor(pools: PgPools, sink: PointSink, partition: string) {
    this.#pools = pools;
    this.#sink = sink;
    this.#partition = partition;
  }

  async commit(data: CheckpointData): Promise<void> {
    let points = 0;
    for (const cols of data.points.values()) points += cols.length;
    if (points > 0) await this.#sink.write(data.points);
    await this.#pools.write(`checkpoint of partition ${this.#partition}`, async (query) => {
      // The upsert locks P's row, so two writers of one partition are serialised; the WHERE
      // leaves it alone (no row returned) when a later checkpoint is stored.
      const moved = await query(
        `INSERT INTO checkpoint_offsets (partition, log_offset) VALUES ($1, $2)
         ON CONFLICT (partition) DO UPDATE SET log_offset = EXCLUDED.log_offset
         WHERE checkpoint_offsets.log_offset <= EXCLUDED.log_offset
         RETURNING log_offset`,
        [this.#partition, data.offset],
      );
      if (moved.length === 0) {
        const stored = await query('SELECT log_offset FROM checkpoint_offsets WHERE partition = $1', [
          this.#partition,
        ]);
        throw new VigilError(
          'VIGIL_ERR_STORAGE',
          `postgres checkpoint of partition ${this.#partition}: refusing offset ${data.offset}, ` +
            `${int(stored[0]?.log_offset)} is already committed`,
        );
      }
      await upsertAnomalies(query, data.anomalies);
      if (data.states.size > 0) {
        await query(
          `INSERT INTO checkpoint_states (series_id, partition, state)
           SELECT s, $1::text, t FROM unnest($2::int[], $3::text[]) AS u(s, t)
           ON CONFLICT (series_id) DO UPDATE SET partition = EXCLUDED.partition, state = EXCLUDED.state`,
          [this.#partition, [...data.states.keys()], [...data.states.values()]],
        );
      }
    });
  }

  async load(): Promise<Checkpoint> {
    return this.#pools.snapshot(`load checkpoint of partition ${this.#partition}`, async (query) => {
      const offset = await query('SELECT log_offset FROM checkpoint_offsets WHERE partition = $1', [
        this.#partition,
      ]);
      const rows = await query('SELECT series_id, state FROM checkpoint_states WHERE partition = $1', [
        this.#partition,
      ]);
      return {
        offset: offset.length === 0 ? 0 : int(offset[0]!.log_offset),
        states: new Map(rows.map((r) => [int(r.series_id), r.state as string])),
      };
    });
  }
}
